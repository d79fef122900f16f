//! Leads read from a JSON array straight into a model's feature rows: each lead's own fields as
//! usual (its deserializer and checks), its custom fields only where the model reads them, with
//! no attribute map per lead. The custom fields the model does not read are checked as the
//! store checks them and their keys kept for the batch's warnings.
//!
//! This road gives up (None) on anything it would not read exactly as the ordinary one: a bad
//! row, a value a database could not hold, a key given twice, a batch of the wrong size. The
//! caller then reads the batch the ordinary way, which names the same problems as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::dataset::{attribute_keys, attribute_positions, lead_fields_into};
use super::row::{Cell, FeatureRow};
use super::spec::ModelSpec;
use crate::domain::aside::{read_aside, Text};
use crate::domain::storable::{decimal_problem, text_problem};
use crate::domain::{passes_checks, Lead};

/// Leads read on the road: `rows[i]` holds the features of `leads[i]` (whose attribute maps are
/// empty), `unread` every custom field key the model does not read, once per lead that gave it.
#[derive(Debug, Default)]
pub struct JsonLeads<'de> {
    pub leads: Vec<Lead>,
    pub rows: Vec<FeatureRow>,
    pub unread: Vec<Cow<'de, str>>,
}

/// The road for one model's features.
pub struct LeadRoad<'s> {
    spec: &'s ModelSpec,
    keys: Vec<&'s str>,
    positions: Vec<usize>,
}

impl<'s> LeadRoad<'s> {
    /// None for a model the road cannot serve (more than 64 custom fields read).
    pub fn new(spec: &'s ModelSpec) -> Option<Self> {
        let keys = attribute_keys(spec);
        // A lead's model keys are told apart by the bits of one word.
        (keys.len() <= 64).then(|| LeadRoad {
            spec,
            keys,
            positions: attribute_positions(spec),
        })
    }

    /// Reads a JSON array of 1 to `max` leads; None when the road gives up (see the module's
    /// doc).
    pub fn read_array<'de>(&self, body: &'de [u8], max: usize) -> Option<JsonLeads<'de>> {
        // Checked once whole, the text's strings are not checked again one by one (a tenth of
        // the reading, measured).
        let text = std::str::from_utf8(body).ok()?;
        let mut de = serde_json::Deserializer::from_str(text);
        let read = Array { road: self, max }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        (!read.leads.is_empty()).then_some(read)
    }

    /// Reads one lead from its JSON text, with its feature row; the keys of its custom fields
    /// the model does not read are pushed on `unread`. None, with `unread` as it was, when the
    /// road gives up on it.
    pub fn read_one<'de>(
        &self,
        text: &'de str,
        unread: &mut Vec<Cow<'de, str>>,
    ) -> Option<(Lead, FeatureRow)> {
        let before = unread.len();
        let mut de = serde_json::Deserializer::from_str(text);
        match self.read(unread, |seed| seed.deserialize(&mut de).map(Some)) {
            Ok(Some(read)) if de.end().is_ok() => Some(read),
            _ => {
                unread.truncate(before);
                None
            }
        }
    }

    /// Reads the next lead with `read`, and its feature row; Ok(None) when there is none.
    fn read<'de, E: de::Error>(
        &self,
        unread: &mut Vec<Cow<'de, str>>,
        read: impl FnOnce(LeadSeed<'_, '_, 'de>) -> Result<Option<Lead>, E>,
    ) -> Result<Option<(Lead, FeatureRow)>, E> {
        let mut row = FeatureRow {
            cells: vec![Cell::Missing; self.spec.features.len()],
        };
        let attrs = Attributes {
            road: self,
            row: &mut row,
            unread,
        };
        let Some(lead) = read(LeadSeed(attrs))? else {
            return Ok(None);
        };
        if !passes_checks(&lead) {
            return Err(give_up());
        }
        lead_fields_into(self.spec, &lead, &mut row);
        Ok(Some((lead, row)))
    }
}

fn give_up<E: de::Error>() -> E {
    E::custom("left to the ordinary road")
}

/// A JSON array of at most `max` leads.
struct Array<'r, 's> {
    road: &'r LeadRoad<'s>,
    max: usize,
}

impl<'de> DeserializeSeed<'de> for Array<'_, '_> {
    type Value = JsonLeads<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonLeads<'de>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Array<'_, '_> {
    type Value = JsonLeads<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of leads")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonLeads<'de>, A::Error> {
        let n = seq.size_hint().unwrap_or(0).min(self.max);
        let mut out = JsonLeads {
            leads: Vec::with_capacity(n),
            rows: Vec::with_capacity(n),
            unread: Vec::with_capacity(n),
        };
        while let Some((lead, row)) = self
            .road
            .read(&mut out.unread, |seed| seq.next_element_seed(seed))?
        {
            if out.leads.len() == self.max {
                return Err(give_up());
            }
            out.leads.push(lead);
            out.rows.push(row);
        }
        Ok(out)
    }
}

struct LeadSeed<'r, 's, 'de>(Attributes<'r, 's, 'de>);

impl<'de> DeserializeSeed<'de> for LeadSeed<'_, '_, 'de> {
    type Value = Lead;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Lead, D::Error> {
        read_aside(d, self.0)
    }
}

/// A lead's custom fields, read into its feature row.
struct Attributes<'r, 's, 'de> {
    road: &'r LeadRoad<'s>,
    row: &'r mut FeatureRow,
    unread: &'r mut Vec<Cow<'de, str>>,
}

impl<'de> DeserializeSeed<'de> for Attributes<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Attributes<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of custom fields")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let first_unread = self.unread.len();
        let mut seen = 0u64;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if text_problem(&key).is_some() {
                return Err(give_up());
            }
            let value = map.next_value::<Field<'de>>()?;
            match self.road.keys.iter().position(|k| *k == key) {
                Some(i) => {
                    if seen & (1 << i) != 0 {
                        return Err(give_up());
                    }
                    seen |= 1 << i;
                    let cell = &mut self.row.cells[self.road.positions[i]];
                    match value {
                        Field::Num(x) => *cell = Cell::Num(x),
                        Field::Text(t) => cell.set_text(&t, &self.road.spec.missing_values),
                        Field::Other => *cell = Cell::Missing,
                    }
                }
                None if self.unread[first_unread..].contains(&key) => return Err(give_up()),
                None => self.unread.push(key),
            }
        }
        Ok(())
    }
}

/// A custom field's value as a feature reads it (`Cell::from_json`: booleans as 1 or 0; null,
/// arrays and objects as missing), checked as the store checks it.
enum Field<'de> {
    Num(f64),
    Text(Cow<'de, str>),
    Other,
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl FieldVisitor {
    fn num<E: de::Error>(x: f64) -> Result<Field<'static>, E> {
        match decimal_problem(x) {
            None => Ok(Field::Num(x)),
            Some(_) => Err(give_up()),
        }
    }

    fn text<E: de::Error>(t: Cow<'_, str>) -> Result<Field<'_>, E> {
        match text_problem(&t) {
            None => Ok(Field::Text(t)),
            Some(_) => Err(give_up()),
        }
    }
}

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Field<'de>, E> {
        Ok(Field::Num(f64::from(u8::from(b))))
    }
    // As serde_json's `Number::as_f64` reads them.
    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Field<'de>, E> {
        Self::num(x as f64)
    }
    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Field<'de>, E> {
        Self::num(x as f64)
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Field<'de>, E> {
        Self::num(x)
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Field<'de>, E> {
        Self::text(Cow::Borrowed(s))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Field<'de>, E> {
        Self::text(Cow::Owned(s.to_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'de>, A::Error> {
        while seq.next_element::<Field<'de>>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Field<'de>, M::Error> {
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if text_problem(&key).is_some() {
                return Err(give_up());
            }
            map.next_value::<Field<'de>>()?;
        }
        Ok(Field::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::dataset::lead_row;

    fn spec() -> ModelSpec {
        let mut spec = ModelSpec::from_toml(include_str!("../../training/lead.toml")).unwrap();
        spec.missing_values = vec!["Select".into()];
        spec
    }

    /// Leads of every kind of custom field: numbers, booleans, padded and missing text,
    /// escapes, nulls, nested values, fields the model does not read.
    const GOOD: &str = r#"[
        {"id": "L1", "source": "webinar", "created_at": "2026-01-05T10:00:00Z",
         "attributes": {"visits": 3, "pages_per_visit": 2.5, "webinar_attended": true,
                        "industry": "  Retail ", "colour": "red", "notes": [1, {"a": "b"}]}},
        {"id": "L\u0032", "source": "ads", "owner_id": "R1", "first_response_at": "2026-01-06",
         "created_at": "2026-01-05", "attributes": {"visits": -4, "segment": "Select",
                        "region": "caf\u00e9", "employees": null, "emails_opened": false,
                        "industry": {"x": 1}, "colour": "blue"}},
        {"id": "L3", "attributes": {}},
        {"id": "L4", "converted": false, "attributes": {"employees": 123456789012345,
                        "region": "", "pages_per_visit": 1e15, "emp.var.rate": -0.1}},
        {"id": "L5"}
    ]"#;

    #[test]
    fn the_road_reads_the_features_and_leads_of_the_ordinary_road() {
        let spec = spec();
        let road = LeadRoad::new(&spec).unwrap();
        let read = road.read_array(GOOD.as_bytes(), 10).unwrap();
        let leads: Vec<Lead> = serde_json::from_str(GOOD).unwrap();
        assert_eq!(read.leads.len(), leads.len());
        let keys = attribute_keys(&spec);
        let mut unread = Vec::new();
        for (i, lead) in leads.iter().enumerate() {
            assert_eq!(read.rows[i], lead_row(&spec, lead), "lead {i}");
            let mut bare = lead.clone();
            bare.attributes.clear();
            assert_eq!(read.leads[i], bare, "lead {i}");
            unread.extend(
                lead.attributes
                    .keys()
                    .filter(|k| !keys.contains(&k.as_str())),
            );
        }
        let got: Vec<&str> = read.unread.iter().map(|k| k.as_ref()).collect();
        assert_eq!(got, unread);
        assert_eq!(got, ["colour", "notes", "colour", "emp.var.rate"]);
        // One line at a time, the same leads and rows.
        let mut keys = Vec::new();
        let value: Vec<serde_json::Value> = serde_json::from_str(GOOD).unwrap();
        let texts: Vec<String> = value.iter().map(|v| v.to_string()).collect();
        for (i, text) in texts.iter().enumerate() {
            let (lead, row) = road.read_one(text, &mut keys).unwrap();
            assert_eq!((&lead, &row), (&read.leads[i], &read.rows[i]));
        }
        assert_eq!(keys, read.unread);
    }

    #[test]
    fn the_road_gives_up_on_what_the_ordinary_road_would_refuse_or_read_otherwise() {
        let spec = spec();
        let road = LeadRoad::new(&spec).unwrap();
        for body in [
            // Refused by the ordinary road.
            r#"[{"id": "L1", "colour": "red"}]"#,
            r#"[{"id": "L1", "attributes": {"notes": "a\u0000b"}}]"#,
            r#"[{"id": "L1", "attributes": {"a\u0000": 1}}]"#,
            r#"[{"id": "L1", "attributes": {"notes": [1, {"n": 2e15}]}}]"#,
            r#"[{"id": "L1", "attributes": {"visits": 1e16}}]"#,
            r#"[{"id": "L1", "attributes": null}]"#,
            r#"[{"id": "L1", "source": "a\u0000"}]"#,
            r#"[{"id": "L1", "converted": false, "converted_at": "2026-01-01"}]"#,
            r#"[{"id": "L1"}, ["L2", null, null, null, null, null, null, null, null, {}]]"#,
            r#"[{"id": "L1"}, 7]"#,
            r#"[{"id": "L1"}] x"#,
            r#"{"id": "L1"}"#,
            "[]",
            r#"[{"id": "L1"}, {"id": "L2"}, {"id": "L3"}]"#,
            // Read by the ordinary road, the last value of a key given twice winning.
            r#"[{"id": "L1", "attributes": {"visits": 1, "visits": 2}}]"#,
            r#"[{"id": "L1", "attributes": {"colour": 1, "colour": 2}}]"#,
        ] {
            assert!(road.read_array(body.as_bytes(), 2).is_none(), "{body}");
        }
        let mut keys = vec![Cow::Borrowed("kept")];
        assert!(road
            .read_one(r#"{"id": "L1", "attributes": {"x": 1}} 2"#, &mut keys)
            .is_none());
        assert!(road
            .read_one(r#"{"id": "L1", "attributes": {"x": "\u0000"}}"#, &mut keys)
            .is_none());
        assert_eq!(keys, ["kept"]);
    }
}
