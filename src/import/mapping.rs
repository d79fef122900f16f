//! A mapping file: loading, checking every key against the entities, and loading its lookups.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::entities::{check_entity, check_field};
use super::lookup::Table;
use super::spec::{field_map, Condition, EntitySpec, FieldSpec, Kind, LookupSpec, Offset};
use super::ImportError;

/// How one CSV export maps onto revcast entities. Parsed from TOML by [`Mapping::from_toml`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The main entity's path name; `revcast import ENTITY` must name it.
    pub entity: String,
    /// Trimmed cells that mean null in every column; default `[""]` (so `" "` is null too).
    #[serde(default = "default_null")]
    pub null: Vec<String>,
    /// The main entity's fields: output field -> rule.
    #[serde(deserialize_with = "field_map")]
    pub fields: BTreeMap<String, FieldSpec>,
    pub attributes: Option<super::spec::AttributesSpec>,
    /// Other entities each row also produces (stage events of a deal, a customer's snapshot).
    #[serde(default)]
    pub derived: Vec<EntitySpec>,
    #[serde(default)]
    pub lookups: BTreeMap<String, LookupSpec>,
    #[serde(skip)]
    pub(crate) tables: HashMap<String, Table>,
}

fn default_null() -> Vec<String> {
    vec![String::new()]
}

impl Mapping {
    /// Parses and checks a mapping; `base_dir` is the mapping file's folder, against which
    /// lookup paths are resolved. Every entity, field, format and lookup is checked here, so
    /// a bad mapping fails before any CSV is read.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Mapping, ImportError> {
        let mut m: Mapping = toml::from_str(text)?;
        m.null = m.null.iter().map(|s| s.trim().to_string()).collect();
        for (name, spec) in &m.lookups {
            let table = super::lookup::load(name, spec, base_dir)?;
            m.tables.insert(name.clone(), table);
        }
        for (at, spec) in m.entity_specs() {
            m.check_spec(&at, &spec)?;
        }
        Ok(m)
    }

    /// The entities an import through this mapping produces: the main one first, then each
    /// derived one once, in the order of [`super::map_csv`]'s result.
    pub fn entities(&self) -> Vec<&str> {
        let mut out = vec![self.entity.as_str()];
        for d in &self.derived {
            if !out.contains(&d.entity.as_str()) {
                out.push(&d.entity);
            }
        }
        out
    }

    /// The main entity first, then the derived ones, each with its key prefix for messages
    /// (`""`, `"derived[0]."`, ...).
    pub(crate) fn entity_specs(&self) -> Vec<(String, EntitySpec)> {
        let main = EntitySpec {
            entity: self.entity.clone(),
            when: None,
            fields: self.fields.clone(),
            attributes: self.attributes.clone(),
        };
        let derived = self.derived.iter().enumerate();
        std::iter::once((String::new(), main))
            .chain(derived.map(|(i, d)| (format!("derived[{i}]."), d.clone())))
            .collect()
    }

    fn check_spec(&self, at: &str, spec: &EntitySpec) -> Result<(), ImportError> {
        check_entity(&format!("{at}entity"), &spec.entity)?;
        if let Some(w) = &spec.when {
            check_condition(&format!("{at}when"), w)?;
        }
        for (name, field) in &spec.fields {
            let key = format!("{at}fields.{name}");
            if name == "attributes" {
                return Err(ImportError::invalid(
                    key,
                    "use an [attributes] table for attributes",
                ));
            }
            check_field(&key, &spec.entity, name)?;
            self.check_field_spec(&key, field)?;
        }
        if let Some(a) = &spec.attributes {
            for (name, field) in &a.fields {
                self.check_field_spec(&format!("{at}attributes.fields.{name}"), field)?;
            }
        }
        Ok(())
    }

    fn check_field_spec(&self, key: &str, f: &FieldSpec) -> Result<(), ImportError> {
        check_source(key, f)?;
        if let Some(name) = &f.lookup {
            if !self.tables.contains_key(name) {
                let known: Vec<&str> = self.lookups.keys().map(String::as_str).collect();
                return Err(ImportError::invalid(
                    format!("{key}.lookup"),
                    format!(
                        "no lookup named `{name}` (defined: {})",
                        list_or_none(&known)
                    ),
                ));
            }
        }
        check_kind_options(key, f)?;
        if let Some(w) = &f.when {
            check_condition(&format!("{key}.when"), w)?;
        }
        if let Some(o) = &f.otherwise {
            self.check_field_spec(&format!("{key}.otherwise"), o)?;
        }
        Ok(())
    }
}

/// A field reads exactly one source: a column, a constant or the line number.
fn check_source(key: &str, f: &FieldSpec) -> Result<(), ImportError> {
    let given: Vec<&str> = [
        ("`column`", f.column.is_some()),
        ("`value`", f.value.is_some()),
        ("`line = true`", f.line),
    ]
    .iter()
    .filter(|(_, given)| *given)
    .map(|(name, _)| *name)
    .collect();
    match given.len() {
        0 => {
            return Err(ImportError::invalid(
                key,
                "needs a `column`, a `value` or `line = true`",
            ))
        }
        1 => {}
        _ => {
            return Err(ImportError::invalid(
                key,
                format!("give one of {}, not both", given.join(" and ")),
            ))
        }
    }
    if f.prefix.is_some() && !f.line {
        return Err(ImportError::invalid(
            format!("{key}.prefix"),
            "applies to `line = true` only",
        ));
    }
    Ok(())
}

/// Options that only make sense for some types, and date formats that chrono can read.
fn check_kind_options(key: &str, f: &FieldSpec) -> Result<(), ImportError> {
    let kind = f.kind();
    let dated = matches!(kind, Kind::Date | Kind::Timestamp);
    let numeric = matches!(kind, Kind::Number | Kind::Integer);
    let only = |opt: &str, ok: bool, types: &str| {
        if ok {
            Ok(())
        } else {
            Err(ImportError::invalid(
                format!("{key}.{opt}"),
                format!("applies to type {types} only, this field is {kind:?}"),
            ))
        }
    };
    only("format", f.format.is_none() || dated, "date or timestamp")?;
    only(
        "add_days",
        f.add_days.is_none() || dated,
        "date or timestamp",
    )?;
    only(
        "add_months",
        f.add_months.is_none() || dated,
        "date or timestamp",
    )?;
    only("scale", f.scale.is_none() || numeric, "number or integer")?;
    only("round", f.round.is_none() || kind == Kind::Number, "number")?;
    if let Some(s) = f.scale {
        if !s.is_finite() {
            return Err(ImportError::invalid(
                format!("{key}.scale"),
                "must be a finite number",
            ));
        }
    }
    for off in [&f.add_days, &f.add_months].into_iter().flatten() {
        if let Offset::Column { times: 0, .. } = off {
            return Err(ImportError::invalid(
                key,
                "an offset's `times` must not be 0",
            ));
        }
    }
    if let Some(fmt) = &f.format {
        check_format(key, fmt)?;
    }
    Ok(())
}

fn check_format(key: &str, fmt: &str) -> Result<(), ImportError> {
    use chrono::format::{Item, StrftimeItems};
    let bad = fmt.is_empty() || StrftimeItems::new(fmt).any(|i| matches!(i, Item::Error));
    if bad {
        return Err(ImportError::BadFormat {
            key: format!("{key}.format"),
            format: fmt.to_string(),
        });
    }
    Ok(())
}

fn check_condition(key: &str, c: &Condition) -> Result<(), ImportError> {
    if c.one_of.is_none() && c.not_in.is_none() && c.present.is_none() {
        return Err(ImportError::invalid(
            key,
            "a condition needs `in`, `not_in` or `present`",
        ));
    }
    Ok(())
}

pub(crate) fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
