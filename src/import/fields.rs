//! The fast road from a mapped row to the store's cells: the row's fields, by name, read by the
//! entity's own deserializer, with no JSON object built in between and no path tracked.
//!
//! Each field's value is still the JSON value the mapping computed, read by serde_json's own
//! deserializer, so a record read this way is the record the JSON object would give. A row
//! the fast road cannot take (a field the entity rejects, a failed check) gives None; the
//! caller then takes the ordinary road, which names every problem by field. So the fast road
//! only ever accepts what the ordinary one accepts.

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;

use super::feed::StoreRow;
use crate::domain::{checked_cells, Record};

/// Parses a row given as (field, value) pairs, null fields left out, into its key and cells;
/// None when the entity rejects it. The pairs are taken out of `fields`, which is left empty.
pub(crate) type FastStore = fn(&mut Vec<(&str, Value)>) -> Option<StoreRow>;

pub(crate) fn fast_store<T: Record>(fields: &mut Vec<(&str, Value)>) -> Option<StoreRow> {
    let record = T::deserialize(Fields {
        pairs: fields.drain(..),
        pending: None,
    })
    .ok()?;
    checked_cells(record)
}

/// [`fast_store`]'s reading kept as the record (for scoring a file without storing it): None
/// when the entity rejects it, as [`crate::domain::parse_row_ref`] would.
pub(crate) fn fast_record<T: Record>(fields: &mut Vec<(&str, Value)>) -> Option<T> {
    let record = T::deserialize(Fields {
        pairs: fields.drain(..),
        pending: None,
    })
    .ok()?;
    (record.check().is_empty() && record.storable_problems().is_empty()).then_some(record)
}

/// The pairs as a map, in order, to a struct's deserializer.
struct Fields<'v, 'n> {
    pairs: std::vec::Drain<'v, (&'n str, Value)>,
    /// The value of the key just handed out.
    pending: Option<Value>,
}

impl<'de> de::Deserializer<'de> for Fields<'_, '_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(&mut self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((name, value)) = self.pairs.next() else {
            return Ok(None);
        };
        self.pending = Some(value);
        seed.deserialize(de::value::StrDeserializer::<serde_json::Error>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let value = self
            .pending
            .take()
            .ok_or_else(|| <serde_json::Error as de::Error>::custom("a value without its key"))?;
        seed.deserialize(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_row, Opportunity, StageEvent};
    use serde_json::json;

    fn pairs(v: &Value) -> Vec<(&str, Value)> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    }

    fn both<T: Record>(v: Value) -> (Option<StoreRow>, Option<StoreRow>) {
        let mut p = pairs(&v);
        let fast = fast_store::<T>(&mut p);
        assert!(p.is_empty());
        let slow = parse_row::<T>(v).ok().map(|r| (r.key(), r.to_values()));
        (fast, slow)
    }

    #[test]
    fn the_fast_road_gives_the_ordinary_roads_cells_and_refuses_what_it_refuses() {
        let rows = [
            json!({"id": "D1", "stage": "Won", "amount": 1200.5, "won": true,
                   "created_at": "2024-01-02", "closed_at": "2024-03-01T10:00:00Z",
                   "attributes": {"region": "EMEA", "seats": 12}}),
            json!({"id": "D2", "stage": "Open", "amount": 3}),
            json!({"id": "D3", "stage": "Open", "amount": -1}),
            json!({"id": "D4", "stage": " ", "amount": 1}),
            json!({"id": "D5", "stage": "Won", "won": true}),
            json!({"id": "D6", "stage": "Open", "colour": "red"}),
            json!({"id": "D7", "stage": "Open", "amount": "12"}),
            json!({"id": "D8\u{0}", "stage": "Open"}),
            json!({"id": "D9", "stage": "Open", "created_at": "9999-01-01"}),
            json!({"id": "D10", "stage": "Open", "expected_close_date": "2024-02-30"}),
            json!({"stage": "Open"}),
            json!({"id": "D11", "stage": "Open", "type": "renewal", "amount": 1e300}),
        ];
        for v in rows {
            let (fast, slow) = both::<Opportunity>(v.clone());
            assert_eq!(fast, slow, "{v}");
        }
        let accepted = both::<Opportunity>(json!({"id": "D2", "stage": "Open", "amount": 3}));
        assert!(accepted.0.is_some());
        let event = json!({"opportunity_id": "D|1", "stage": "Won", "entered_at": "2024-03-01"});
        let (fast, slow) = both::<StageEvent>(event);
        assert!(fast.is_some());
        assert_eq!(fast, slow);
    }
}
