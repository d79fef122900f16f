//! The TOML shapes of a mapping: what one output field, condition or attribute set says.
//!
//! See `training/mappings/README.md` for the format as a user reads it.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// How a cell's text becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The trimmed text as a string.
    Text,
    /// A finite decimal number (`12`, `-3.5`, `1e3`).
    Number,
    /// A whole number; `15.0` is accepted as 15.
    Integer,
    /// `true/false`, `yes/no`, `y/n`, `t/f`, `1/0`, any case.
    Bool,
    /// A calendar date, written `YYYY-MM-DD`.
    Date,
    /// A moment in UTC, written RFC 3339; a date alone means midnight UTC.
    Timestamp,
    /// A number when the text is one, otherwise the text.
    Auto,
}

/// What a value map does with a cell that is not one of its keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmapped {
    /// Pass the cell on unchanged (the default).
    #[default]
    Keep,
    /// The field becomes null.
    Null,
    /// A problem on that line: the cell must be one of the keys.
    Error,
}

/// A whole number of days or months, fixed or read from a column (times a factor).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Offset {
    Fixed(i64),
    Column {
        column: String,
        #[serde(default = "one")]
        times: i64,
    },
}

fn one() -> i64 {
    1
}

/// A test on one cell of the row. Every predicate given must hold.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub column: String,
    /// The trimmed cell is one of these.
    #[serde(rename = "in")]
    pub one_of: Option<Vec<String>>,
    /// The trimmed cell is none of these.
    pub not_in: Option<Vec<String>>,
    /// `true`: the cell is not null; `false`: it is null (blank or a null token).
    pub present: Option<bool>,
}

/// How one output field is computed. In TOML either a column name (`owner_id = "sales_agent"`)
/// or a table with the keys below. Steps run in order: `when`, source (`column` or `value`),
/// `map`, `lookup`, parse as `type`, `scale` and `round`, `add_days` and `add_months`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The CSV column read.
    pub column: Option<String>,
    /// A constant instead of a column (its TOML type sets `type` when that is not given).
    pub value: Option<toml::Value>,
    /// `true`: the row's 1-based line in the file (the header is line 1) instead of a column,
    /// e.g. for an id when the export has none.
    #[serde(default)]
    pub line: bool,
    /// Text put before the line number of `line` (`prefix = "lead-"` gives `lead-2`, ...).
    pub prefix: Option<String>,
    /// Default `text` (or the constant's type).
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    /// chrono strftime format of a date or timestamp cell, e.g. `%d/%m/%Y %H:%M`.
    pub format: Option<String>,
    /// More cells that mean null for this field, besides the mapping's `null` list.
    #[serde(default)]
    pub null: Vec<String>,
    /// Cell text -> replacement (any TOML scalar; it is then parsed as `type`).
    #[serde(default)]
    pub map: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub unmapped: Unmapped,
    /// Name of a lookup table: the (mapped) cell is its key, the table's value replaces it.
    pub lookup: Option<String>,
    /// Multiplies a number (12 turns a monthly charge into an annual one).
    pub scale: Option<f64>,
    /// Decimal places kept after `scale`.
    pub round: Option<u32>,
    pub add_days: Option<Offset>,
    pub add_months: Option<Offset>,
    /// When false, the field takes `otherwise` (or null).
    pub when: Option<Condition>,
    pub otherwise: Option<Box<FieldSpec>>,
}

impl FieldSpec {
    /// The parse type: given, else the constant's TOML type, else text.
    pub fn kind(&self) -> Kind {
        if let Some(k) = self.kind {
            return k;
        }
        match &self.value {
            Some(toml::Value::Boolean(_)) => Kind::Bool,
            Some(toml::Value::Integer(_)) => Kind::Integer,
            Some(toml::Value::Float(_)) => Kind::Number,
            _ => Kind::Text,
        }
    }

    /// Every column this field reads, with where in the spec it is read.
    pub fn columns(&self, key: &str, out: &mut Vec<(String, String)>) {
        if let Some(c) = &self.column {
            out.push((c.clone(), key.to_string()));
        }
        if let Some(w) = &self.when {
            out.push((w.column.clone(), format!("{key}.when")));
        }
        for (name, off) in [
            ("add_days", &self.add_days),
            ("add_months", &self.add_months),
        ] {
            if let Some(Offset::Column { column, .. }) = off {
                out.push((column.clone(), format!("{key}.{name}")));
            }
        }
        if let Some(o) = &self.otherwise {
            o.columns(&format!("{key}.otherwise"), out);
        }
    }
}

/// A string is shorthand for `{ column = "..." }`; a table is read key by key.
pub(crate) fn field_spec<'de, D: Deserializer<'de>>(d: D) -> Result<FieldSpec, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = FieldSpec;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a column name or a table like { column = \"...\", type = \"number\" }")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldSpec, E> {
            Ok(FieldSpec {
                column: Some(v.to_string()),
                ..FieldSpec::default()
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldSpec, A::Error> {
            FieldSpec::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V)
}

/// A map of output name -> field, each in the long or the short form.
pub(crate) fn field_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, FieldSpec>, D::Error> {
    #[derive(Deserialize)]
    struct One(#[serde(deserialize_with = "field_spec")] FieldSpec);
    let raw = BTreeMap::<String, One>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, One(v))| (k, v)).collect())
}

/// How attribute keys are spelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStyle {
    /// The CSV column name as it is.
    #[default]
    AsIs,
    /// lower_snake_case: `TotalVisits` -> `total_visits`, `Lead Origin` -> `lead_origin`.
    Snake,
}

/// Which columns go into the entity's free `attributes` object. Null values are left out.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributesSpec {
    /// Columns copied as they are (key spelled by `keys`, parsed as `type`).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Attribute key -> field, for attributes that need a rule (renames, types, maps).
    #[serde(default, deserialize_with = "field_map")]
    pub fields: BTreeMap<String, FieldSpec>,
    /// Also copy every column that no field or attribute of this entity reads.
    #[serde(default)]
    pub unmapped: bool,
    /// Columns never copied by `unmapped`; a trailing `*` matches a prefix (`Asymmetrique *`).
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub keys: KeyStyle,
    /// Parse type of `columns` and `unmapped` columns; default `auto`.
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
}

impl AttributesSpec {
    pub fn excludes(&self, column: &str) -> bool {
        self.exclude.iter().any(|e| match e.strip_suffix('*') {
            Some(prefix) => column.starts_with(prefix),
            None => column == e,
        })
    }
}

/// One entity a CSV row produces: the main one, or a derived one under `[[derived]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    /// The entity's path name: `accounts`, `leads`, `opportunities`, `stage-events`, ...
    pub entity: String,
    /// A row produces this entity only when the condition holds.
    pub when: Option<Condition>,
    #[serde(deserialize_with = "field_map")]
    pub fields: BTreeMap<String, FieldSpec>,
    pub attributes: Option<AttributesSpec>,
}

/// A second CSV turned into a key -> value table (e.g. product -> list price).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupSpec {
    /// Path of the CSV, relative to the mapping file.
    pub file: String,
    /// Column holding the keys (matched exactly, after trimming).
    pub key: String,
    /// Column holding the values; give this or `found`.
    pub value: Option<String>,
    /// The value of every key in the file, instead of a `value` column (`found = "true"`: "this
    /// key is in the file").
    pub found: Option<String>,
    /// The value of a key that is not in the file; without it such a key is a line problem.
    pub default: Option<String>,
}

/// `Lead Origin` -> `lead_origin`, `TotalVisits` -> `total_visits`, `customerID` -> `customer_id`.
pub fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if c.is_alphanumeric() {
            let boundary =
                c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || p.is_numeric());
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        prev = Some(c);
    }
    out.trim_end_matches('_').to_string()
}
