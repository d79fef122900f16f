//! Reading a record from JSON with the value of its custom fields (`attributes`) handed to a
//! reader of the caller's, the record itself getting an empty map. The record's own fields are
//! read by its own `Deserialize` (names, types, unknown and repeated fields refused as always);
//! only the custom fields take the caller's road, e.g. straight into a model's feature cells.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{CowStrDeserializer, MapDeserializer};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// The key whose value goes aside.
const ATTRIBUTES: &str = "attributes";

/// Text read from JSON, borrowed from the input when it holds no escapes.
#[derive(Debug)]
pub struct Text<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a record of type `T` (a JSON object, never an array of its fields) from `d`, handing
/// the value of its `attributes` key, when present, to `attrs`; the record gets an empty map.
/// `attrs` must refuse what the record's map refuses (anything but an object).
pub fn read_aside<'de, T, D, A>(d: D, attrs: A) -> Result<T, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
    A: DeserializeSeed<'de, Value = ()>,
{
    d.deserialize_map(Record {
        attrs: Some(attrs),
        _t: std::marker::PhantomData,
    })
}

struct Record<T, A> {
    attrs: Option<A>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T, A> Visitor<'de> for Record<T, A>
where
    T: Deserialize<'de>,
    A: DeserializeSeed<'de, Value = ()>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(Entries {
            map,
            attrs: self.attrs,
            aside: false,
        }))
    }
}

/// The record's entries, the value of `attributes` read aside.
struct Entries<M, A> {
    map: M,
    attrs: Option<A>,
    /// The key just read was `attributes`.
    aside: bool,
}

impl<'de, M, A> MapAccess<'de> for Entries<M, A>
where
    M: MapAccess<'de>,
    A: DeserializeSeed<'de, Value = ()>,
{
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, M::Error> {
        let Some(Text(key)) = self.map.next_key::<Text<'de>>()? else {
            return Ok(None);
        };
        self.aside = key == ATTRIBUTES;
        seed.deserialize(CowStrDeserializer::<M::Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, M::Error> {
        // A second `attributes` finds no reader left and is read as usual (the record's own
        // deserializer refuses it as a repeated field before asking for its value anyway).
        match (std::mem::take(&mut self.aside), self.attrs.take()) {
            (true, Some(attrs)) => {
                self.map.next_value_seed(attrs)?;
                let empty = std::iter::empty::<((), ())>();
                seed.deserialize(MapDeserializer::<_, M::Error>::new(empty))
            }
            (_, attrs) => {
                self.attrs = attrs;
                self.map.next_value_seed(seed)
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Lead, Opportunity};

    /// Keeps the custom fields it is handed, refusing anything but an object.
    struct Keep<'k>(&'k mut Option<crate::domain::Attributes>);

    impl<'de> DeserializeSeed<'de> for Keep<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            *self.0 = Some(crate::domain::Attributes::deserialize(d)?);
            Ok(())
        }
    }

    fn aside<'de, T: Deserialize<'de>>(
        text: &'de str,
    ) -> (
        Result<T, serde_json::Error>,
        Option<crate::domain::Attributes>,
    ) {
        let mut kept = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let r = read_aside::<T, _, _>(&mut de, Keep(&mut kept));
        (r, kept)
    }

    #[test]
    fn the_record_is_read_as_usual_and_its_custom_fields_go_aside() {
        let text = r#"{"id": "L\u0031", "source": "web", "attributes": {"visits": 3, "x": [1, "a"]},
                       "created_at": "2026-01-05", "owner_id": "R1"}"#;
        let (lead, kept) = aside::<Lead>(text);
        let mut want: Lead = serde_json::from_str(text).unwrap();
        assert_eq!(kept.as_ref(), Some(&want.attributes));
        want.attributes.clear();
        assert_eq!(lead.unwrap(), want);
        let (opp, kept) = aside::<Opportunity>(r#"{"id": "O1", "stage": "Open"}"#);
        assert_eq!(opp.unwrap().id.as_str(), "O1");
        assert_eq!(kept, None);
    }

    #[test]
    fn what_the_record_refuses_is_refused_aside_too() {
        for text in [
            r#"{"id": "L1", "colour": "red"}"#,
            r#"{"id": "L1", "id": "L2"}"#,
            r#"{"id": "L1", "attributes": {}, "attributes": {}}"#,
            r#"{"id": "L1", "attributes": null}"#,
            r#"{"id": "", "attributes": {}}"#,
            r#"{"id": "L1", "converted": "yes"}"#,
            r#"["L1", null, null, null, null, null, null, null, null, {}]"#,
            r#"{"source": "web"}"#,
            "7",
        ] {
            let usual = serde_json::from_str::<Lead>(text);
            let (read, _) = aside::<Lead>(text);
            // Arrays are refused on both roads by the batch readers (as `ObjectOnly` does).
            if !text.starts_with('[') {
                assert!(usual.is_err(), "{text}");
            }
            assert!(read.is_err(), "{text}");
        }
    }
}
