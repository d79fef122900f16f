//! The scoring road: a mapped file read only for what a model needs, without the entity's
//! attribute map.
//!
//! Scoring a file (`revcast score`) needs, of each line, the record's own fields and the values
//! of the few attributes the model reads; the ordinary road builds every attribute into a JSON
//! map first (owned keys, hashed, then checked and looked up again by name). Here the attribute
//! rules are resolved once against the model's keys: each line's record is read with an empty
//! attribute map, and each attribute cell is evaluated in place, handed on when the model reads
//! it, and otherwise only counted (for the score warnings) and checked.
//!
//! A line is taken on this road only when the ordinary road would accept it: its fields give
//! the same record (the entity's own deserializer and checks), and its attributes hold what the
//! store could hold (no NUL in text, numbers of magnitude at most 1e15) and evaluate without
//! error. Any other line is read by the ordinary road, so its problems are reported exactly as
//! before.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::Read;

use super::cell::{eval, Row};
use super::decimal::plain_decimal;
use super::engine::LineMapper;
use super::fields::fast_record;
use super::parse::number;
use super::spec::{FieldSpec, Kind};
use super::{ImportError, MappedRow};
use crate::domain::storable::{decimal_problem, text_problem};
use crate::domain::text::trim;
use crate::domain::Record;

/// An attribute's value as the model reads it (the JSON value the ordinary road would store,
/// without building it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttrValue<'a> {
    Num(f64),
    Bool(bool),
    Text(Cow<'a, str>),
}

/// What the road read of one line.
#[derive(Debug)]
pub(crate) enum Scoring<T> {
    /// The record, with an empty attribute map; the wanted attributes' values were handed on.
    Taken(T),
    /// The line as [`LineMapper::next_records`] reads it (a bad line, a condition that does not
    /// hold, a cell the road does not take).
    Ordinary(Vec<Result<T, MappedRow>>),
}

/// One attribute rule, resolved against the header and the wanted keys.
struct AttrRead {
    /// The rule's index in the plan's attributes.
    rule: usize,
    /// The column read in place when the rule is a plain column of type auto or text.
    plain: Option<(usize, Kind)>,
    /// Where the value goes: a wanted key's position, or an unread key's counter.
    slot: Slot,
}

#[derive(Clone, Copy)]
enum Slot {
    Wanted(usize),
    Unread(usize),
}

/// The mapping's plan for one entity made ready for scoring: see the module's notes.
pub(crate) struct ScoringRoad {
    plan: usize,
    bucket: usize,
    attrs: Vec<AttrRead>,
    wanted: usize,
    /// Attribute keys the model does not read, and how many taken lines gave each a value
    /// since [`ScoringRoad::take_unread`].
    unread_keys: Vec<String>,
    unread: Vec<usize>,
    /// The unread counters a line bumps, kept until the line is taken.
    bumped: Vec<usize>,
}

impl ScoringRoad {
    /// The attribute keys the model does not read that taken lines gave values to, with how
    /// many lines did, since the last call (counts are reset).
    pub fn take_unread(&mut self) -> Vec<(String, usize)> {
        let out = self
            .unread_keys
            .iter()
            .zip(&self.unread)
            .filter(|(_, &n)| n > 0)
            .map(|(k, &n)| (k.clone(), n))
            .collect();
        self.unread.iter_mut().for_each(|n| *n = 0);
        out
    }
}

/// A rule read in place: a column, no steps, auto or text.
fn plain(spec: &FieldSpec) -> Option<(&str, Kind)> {
    let kind = spec.kind();
    let column = spec.column.as_deref()?;
    let bare = FieldSpec {
        column: spec.column.clone(),
        kind: spec.kind,
        ..FieldSpec::default()
    };
    (matches!(kind, Kind::Auto | Kind::Text) && *spec == bare).then_some((column, kind))
}

impl<R: Read> LineMapper<'_, R> {
    /// The scoring road for entity `bucket`, the model reading the attributes `wanted` (each
    /// line's values are handed on by their position in it); None when the mapping's plan for the entity
    /// is not one the road can read exactly as the ordinary road (then use
    /// [`LineMapper::next_records`]).
    pub fn scoring_road(&self, bucket: usize, wanted: &[&str]) -> Option<ScoringRoad> {
        let mut plans = self.bucket_of.iter().enumerate().filter(|p| *p.1 == bucket);
        let (plan, _) = plans.next()?;
        if plans.next().is_some() {
            return None;
        }
        let p = &self.plans[plan];
        if p.fields.iter().any(|(name, _)| name == "attributes") {
            return None;
        }
        let unique = wanted
            .iter()
            .enumerate()
            .all(|(i, k)| !wanted[..i].contains(k));
        if !unique {
            return None;
        }
        let (mut attrs, mut unread_keys) = (Vec::new(), Vec::new());
        for (rule, (key, spec)) in p.attrs.iter().flatten().enumerate() {
            if text_problem(key).is_some() {
                return None;
            }
            let slot = match wanted.iter().position(|w| w == key) {
                Some(i) => Slot::Wanted(i),
                None => {
                    unread_keys.push(key.clone());
                    Slot::Unread(unread_keys.len() - 1)
                }
            };
            let plain = match plain(spec) {
                Some((column, kind)) => Some((*self.header.get(column)?, kind)),
                None => None,
            };
            attrs.push(AttrRead { rule, plain, slot });
        }
        Some(ScoringRoad {
            plan,
            bucket,
            attrs,
            wanted: wanted.len(),
            unread: vec![0; unread_keys.len()],
            unread_keys,
            bumped: Vec::new(),
        })
    }

    /// The next line on the scoring road: the record taken, the wanted attributes' values
    /// handed to `put` (each wanted key's position and its value, None for a null or absent
    /// one), or the line as the ordinary road reads it (`put` not called). None at the end of
    /// the file.
    pub fn next_scoring<T: Record>(
        &mut self,
        road: &mut ScoringRoad,
        put: &mut dyn FnMut(usize, Option<AttrValue<'_>>),
    ) -> Result<Option<Scoring<T>>, ImportError> {
        let line = match self.advance()? {
            None => return Ok(None),
            Some(Ok(line)) => line,
            Some(Err(bad)) => {
                return Ok(Some(Scoring::Ordinary(
                    bad.rows.into_iter().map(|(_, r)| Err(r)).collect(),
                )))
            }
        };
        let taken = self.take::<T>(road, line, put);
        Ok(Some(match taken {
            Some(record) => Scoring::Taken(record),
            None => {
                let mut rows = Vec::new();
                self.records_of_line(road.bucket, line, &mut rows);
                Scoring::Ordinary(rows)
            }
        }))
    }

    /// The line's record and wanted values when the road takes it (its unread values counted);
    /// None otherwise.
    fn take<T: Record>(
        &self,
        road: &mut ScoringRoad,
        line: u64,
        put: &mut dyn FnMut(usize, Option<AttrValue<'_>>),
    ) -> Option<T> {
        let row = self.row(line);
        let plan = &self.plans[road.plan];
        if plan.when.as_ref().is_some_and(|w| !row.holds(w)) {
            return None;
        }
        let mut fields: Vec<(&str, Value)> = Vec::with_capacity(plan.fields.len() + 1);
        for (name, spec) in &plan.fields {
            match eval(spec, &row).ok()? {
                Value::Null => {}
                v => fields.push((name.as_str(), v)),
            }
        }
        if plan.attrs.is_some() {
            fields.push(("attributes", Value::Object(Map::new())));
        }
        let record = fast_record::<T>(&mut fields)?;
        let rules = plan.attrs.as_deref().unwrap_or(&[]);
        let mut wanted: Vec<Option<AttrValue<'_>>> = vec![None; road.wanted];
        road.bumped.clear();
        for a in &road.attrs {
            let value = match a.plain {
                Some((column, kind)) => plain_value(&row, column, kind)?,
                None => json_value(eval(&rules[a.rule].1, &row).ok()?)?,
            };
            match (a.slot, value) {
                (_, None) => {}
                (Slot::Wanted(i), v) => wanted[i] = v,
                (Slot::Unread(i), Some(_)) => road.bumped.push(i),
            }
        }
        for &i in &road.bumped {
            road.unread[i] += 1;
        }
        for (i, v) in wanted.into_iter().enumerate() {
            put(i, v);
        }
        Some(record)
    }
}

/// A plain cell's value as `eval` computes it for a column rule of type auto or text with no
/// other step, and as the entity's stored value is checked: Some(None) for a null cell, None
/// when the store could not hold it.
fn plain_value<'r>(row: &Row<'r>, column: usize, kind: Kind) -> Option<Option<AttrValue<'r>>> {
    let text = row.record.get(column).map_or("", trim);
    if row.nulls.iter().any(|n| n == text) {
        return Some(None);
    }
    if kind == Kind::Auto {
        let x = plain_decimal(text).or_else(|| may_be_number(text).then(|| number(text)).flatten());
        if let Some(x) = x {
            // Whole numbers go through an i64, as `eval` makes them (-0 reads as 0).
            let x = if x.fract() == 0.0 && x.abs() < 9.0e15 {
                x as i64 as f64
            } else {
                x
            };
            return decimal_problem(x)
                .is_none()
                .then_some(Some(AttrValue::Num(x)));
        }
    }
    text_problem(text)
        .is_none()
        .then_some(Some(AttrValue::Text(Cow::Borrowed(text))))
}

/// False when `text` (trimmed) cannot be a finite number `number` reads: Rust's floats start
/// with a sign, a digit or a point; the others it reads (`inf`, `infinity`, `nan` in any case)
/// `number` refuses as not finite.
fn may_be_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    unsigned
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
}

/// An evaluated value as the model reads it, checked as the store checks it: Some(None) for
/// null, None when the store could not hold it.
fn json_value<'r>(v: Value) -> Option<Option<AttrValue<'r>>> {
    Some(match v {
        Value::Null => None,
        Value::Bool(b) => Some(AttrValue::Bool(b)),
        Value::Number(n) => {
            let x = n.as_f64()?;
            decimal_problem(x).is_none().then_some(())?;
            Some(AttrValue::Num(x))
        }
        Value::String(s) => {
            text_problem(&s).is_none().then_some(())?;
            Some(AttrValue::Text(Cow::Owned(s)))
        }
        // `eval` makes neither; the ordinary road says what they are.
        Value::Array(_) | Value::Object(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::domain::Lead;
    use crate::import::Mapping;

    const MAPPING: &str = r#"
entity = "leads"
null = ["", "Select"]
[fields]
id = "Id"
source = "Source"
[attributes]
unmapped = true
keys = "snake"
exclude = ["Ignored"]
[attributes.fields]
doubled = { column = "Visits", type = "number", scale = 2.0 }
"#;

    /// A taken line's id and wanted values, or how many rows the ordinary road read of it.
    type Reading = Result<(String, Vec<Option<AttrValue<'static>>>), usize>;

    /// Each line's reading.
    fn read(csv: &str, wanted: &[&str]) -> Vec<Reading> {
        let mapping = Mapping::from_toml(MAPPING, Path::new(".")).unwrap();
        let mut lines = LineMapper::new(&mapping, "leads", csv.as_bytes(), b',').unwrap();
        let mut road = lines
            .scoring_road(0, wanted)
            .expect("a plan the road reads");
        let mut out = Vec::new();
        loop {
            let mut values = vec![None; wanted.len()];
            let mut put = |i: usize, v: Option<AttrValue<'_>>| {
                values[i] = v.map(|v| match v {
                    AttrValue::Text(t) => AttrValue::Text(Cow::Owned(t.into_owned())),
                    AttrValue::Num(x) => AttrValue::Num(x),
                    AttrValue::Bool(b) => AttrValue::Bool(b),
                });
            };
            match lines.next_scoring::<Lead>(&mut road, &mut put).unwrap() {
                None => return out,
                Some(Scoring::Taken(lead)) => {
                    assert!(lead.attributes.is_empty());
                    out.push(Ok((lead.id.to_string(), values)));
                }
                Some(Scoring::Ordinary(rows)) => out.push(Err(rows.len())),
            }
        }
    }

    fn num(x: f64) -> Option<AttrValue<'static>> {
        Some(AttrValue::Num(x))
    }

    fn text(t: &str) -> Option<AttrValue<'static>> {
        Some(AttrValue::Text(Cow::Owned(t.to_string())))
    }

    #[test]
    fn the_road_takes_plain_lines_and_leaves_the_others_to_the_ordinary_road() {
        let csv = "Id,Source,Visits,Country,Ignored,Notes,Score\n\
                   A1,web, 3 ,India,x,hello,7\n\
                   A2,web,-0,Select,x,,-0\n\
                   A3,web,2.5, India ,x,1e16,1\n\
                   A4,web,abc,India,x,note,1\n\
                   ,web,1,India,x,no id,1\n\
                   A6,web,1,India\n\
                   A7,web,1,In\u{0}dia,x,nul,1\n\
                   A8,web,1, India ,x,ok,2.50\n";
        // `visits` is no attribute: the column is read by `doubled`.
        let got = read(csv, &["country", "visits", "doubled", "score"]);
        assert_eq!(
            got,
            [
                Ok(("A1".into(), vec![text("India"), None, num(6.0), num(7.0)])),
                Ok(("A2".into(), vec![None, None, num(-0.0), num(0.0)])),
                // 1e16 in a column the model does not read is still more than the store holds.
                Err(1),
                // Text in a number rule, no id, a short line, a NUL: the ordinary road's.
                Err(1),
                Err(1),
                Err(1),
                Err(1),
                Ok(("A8".into(), vec![text("India"), None, num(2.0), num(2.5)])),
            ]
        );
        // A whole number of an auto column is read through an integer (-0 is 0), a number
        // rule's is not, as the import reads them.
        if let Ok((_, v)) = &got[1] {
            assert!(matches!(v[3], Some(AttrValue::Num(x)) if x.is_sign_positive()));
            assert!(matches!(v[2], Some(AttrValue::Num(x)) if x.is_sign_negative()));
        }
    }

    #[test]
    fn unread_attributes_are_counted_by_key_for_the_lines_taken_only() {
        let mapping = Mapping::from_toml(MAPPING, Path::new(".")).unwrap();
        let csv = "Id,Source,Visits,Country,Ignored,Notes\n\
                   A1,web,3,India,x,hello\n\
                   A2,web,3,Select,x,\n\
                   A3,web,abc,India,x,dropped\n";
        let mut lines = LineMapper::new(&mapping, "leads", csv.as_bytes(), b',').unwrap();
        let mut road = lines.scoring_road(0, &["visits"]).unwrap();
        while lines
            .next_scoring::<Lead>(&mut road, &mut |_, _| {})
            .unwrap()
            .is_some()
        {}
        let mut unread = road.take_unread();
        unread.sort();
        assert_eq!(
            unread,
            [
                ("country".to_string(), 1),
                ("doubled".to_string(), 2),
                ("notes".to_string(), 1)
            ]
        );
        assert!(road.take_unread().is_empty(), "the counts start again");
    }
}
