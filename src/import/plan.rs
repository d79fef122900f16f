//! One entity's rules resolved against a CSV header: which fields, which attribute columns.

use std::collections::{BTreeSet, HashMap};

use super::spec::{snake_case, EntitySpec, FieldSpec, Kind};
use super::ImportError;

/// An entity spec made concrete for one file: `unmapped` attributes expanded to column names.
pub(crate) struct Plan {
    pub entity: String,
    pub when: Option<super::spec::Condition>,
    /// Output field -> rule.
    pub fields: Vec<(String, FieldSpec)>,
    /// Attribute key -> rule; `None` when the entity gets no `attributes` object.
    pub attrs: Option<Vec<(String, FieldSpec)>>,
}

impl Plan {
    /// Checks that every column the spec reads is in `columns` (the header, in file order).
    pub fn new(at: &str, spec: EntitySpec, columns: &[String]) -> Result<Plan, ImportError> {
        let mut used = Vec::new();
        if let Some(w) = &spec.when {
            used.push((w.column.clone(), format!("{at}when")));
        }
        for (name, f) in &spec.fields {
            f.columns(&format!("{at}fields.{name}"), &mut used);
        }
        if let Some(a) = &spec.attributes {
            for c in &a.columns {
                used.push((c.clone(), format!("{at}attributes.columns")));
            }
            for (name, f) in &a.fields {
                f.columns(&format!("{at}attributes.fields.{name}"), &mut used);
            }
        }
        for (column, key) in &used {
            if !columns.contains(column) {
                return Err(ImportError::MissingColumn {
                    column: column.clone(),
                    key: key.clone(),
                    found: columns.join(", "),
                });
            }
        }
        let attrs = match &spec.attributes {
            Some(a) => Some(attribute_rules(at, a, columns, &used)?),
            None => None,
        };
        Ok(Plan {
            entity: spec.entity,
            when: spec.when,
            fields: spec.fields.into_iter().collect(),
            attrs,
        })
    }
}

/// Explicit attribute fields, then listed columns, then (if asked) every column nothing else
/// of this entity reads, in file order, minus the exclusions.
fn attribute_rules(
    at: &str,
    a: &super::spec::AttributesSpec,
    columns: &[String],
    used: &[(String, String)],
) -> Result<Vec<(String, FieldSpec)>, ImportError> {
    let kind = a.kind.unwrap_or(Kind::Auto);
    let plain = |c: &str| FieldSpec {
        column: Some(c.to_string()),
        kind: Some(kind),
        ..FieldSpec::default()
    };
    let key_of = |c: &str| match a.keys {
        super::spec::KeyStyle::AsIs => c.to_string(),
        super::spec::KeyStyle::Snake => snake_case(c),
    };
    let mut rules: Vec<(String, FieldSpec)> = a.fields.clone().into_iter().collect();
    rules.extend(a.columns.iter().map(|c| (key_of(c), plain(c))));
    if a.unmapped {
        let used: BTreeSet<&str> = used.iter().map(|(c, _)| c.as_str()).collect();
        let rest = columns
            .iter()
            .filter(|c| !c.is_empty() && !used.contains(c.as_str()) && !a.excludes(c));
        rules.extend(rest.map(|c| (key_of(c), plain(c))));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, (key, _)) in rules.iter().enumerate() {
        if let Some(j) = seen.insert(key.as_str(), i) {
            let describe = |k: usize| {
                rules[k]
                    .1
                    .column
                    .clone()
                    .unwrap_or_else(|| "a constant".into())
            };
            return Err(ImportError::invalid(
                format!("{at}attributes"),
                format!(
                    "`{}` and `{}` both give attribute `{key}`",
                    describe(j),
                    describe(i)
                ),
            ));
        }
    }
    Ok(rules)
}
