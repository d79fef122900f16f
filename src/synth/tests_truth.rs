//! Tests that the hidden model shows in the data: informative truth, seasonality, rep skill.
