//! Lookup tables: a second CSV read into key -> value (e.g. product -> list price).

use std::collections::HashMap;
use std::path::Path;

use super::source::csv_reader;
use super::spec::LookupSpec;
use super::ImportError;

/// Key -> value, from a lookup CSV, and the value of keys it lacks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub values: HashMap<String, String>,
    pub default: Option<String>,
}

impl Table {
    /// The value of `key`, else the default, else None.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .or(self.default.as_ref())
            .map(String::as_str)
    }
}

/// Reads the lookup CSV at `spec.file` (relative to `base_dir`). Keys and values are trimmed;
/// a key seen twice with different values is an error, since either choice would be a guess.
pub(crate) fn load(name: &str, spec: &LookupSpec, base_dir: &Path) -> Result<Table, ImportError> {
    let path = base_dir.join(&spec.file);
    let fail = |reason: String| ImportError::LookupFile {
        name: name.to_string(),
        path: path.clone(),
        reason,
    };
    if spec.value.is_some() == spec.found.is_some() {
        return Err(ImportError::invalid(
            format!("lookups.{name}"),
            "give `value` (a column) or `found` (a constant), not both",
        ));
    }
    let file = std::fs::File::open(&path).map_err(|e| fail(e.to_string()))?;
    let mut reader = csv_reader(file);
    let headers = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
    let col = |c: &str| {
        headers.iter().position(|h| h.trim() == c).ok_or_else(|| {
            fail(format!(
                "no column `{c}` (columns: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let k = col(&spec.key)?;
    let v = spec.value.as_deref().map(col).transpose()?;
    let mut table = Table {
        default: spec.default.as_ref().map(|d| d.trim().to_string()),
        ..Table::default()
    };
    for record in reader.records() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        let key = record.get(k).unwrap_or("").trim().to_string();
        let value = match (v, &spec.found) {
            (Some(v), _) => record.get(v).unwrap_or("").trim().to_string(),
            (None, found) => found.as_deref().unwrap_or("").trim().to_string(),
        };
        if let Some(old) = table.values.get(&key) {
            if *old != value {
                return Err(fail(format!(
                    "key `{key}` has two values, `{old}` and `{value}`"
                )));
            }
        }
        table.values.insert(key, value);
    }
    Ok(table)
}
