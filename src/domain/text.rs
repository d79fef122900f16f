//! Values named by text at the edge (a query parameter, a CLI argument): parsed once, through the
//! type's `FromStr`, whose message says what was wrong and what would do.

use serde::{Deserialize, Deserializer};
use std::fmt::Display;
use std::str::FromStr;

/// Deserializes an optional value from its text through `T::from_str`, so a query parameter and
/// a CLI argument are refused with the same words (`#[serde(default, deserialize_with = ...)]`).
pub fn optional_text<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .transpose()
}
