//! How each field type of an entity becomes one typed cell and back. With [`record_columns!`]
//! an entity lists its fields once; the column list, the cells written and the record rebuilt
//! from the cells read all come from that one list, by name.

use chrono::NaiveDate;

use super::entities::DealType;
use super::record::{Attributes, ColType, Column, RecordError, SqlValue};
use super::{Id, Money, Period, Timestamp};

/// A field type that is stored in one column.
pub trait Cell: Sized {
    /// The column's type.
    const TYPE: ColType;
    /// The cell written for this value.
    fn to_cell(&self) -> SqlValue;
    /// [`Cell::to_cell`] taking the value, so its text is moved instead of copied.
    fn into_cell(self) -> SqlValue {
        self.to_cell()
    }
    /// The value rebuilt from a cell read back; the reason when the cell cannot be one.
    fn from_cell(v: SqlValue) -> Result<Self, String>;
    /// Pushes what a database could not hold in this value, as (field, reason) for the field
    /// `name` (see [`super::storable::problems`]; types whose cell is costly to build read the
    /// value in place).
    fn storable(&self, name: &'static str, out: &mut Vec<(String, String)>) {
        let column = Column {
            name,
            ty: Self::TYPE,
        };
        out.extend(super::storable::problems(&[column], &[self.to_cell()]));
    }
}

/// Rebuilds field `column` of a `table` row from its cell (`None`: the row had no such cell).
pub fn read_cell<T: Cell>(
    table: &'static str,
    column: &'static str,
    v: Option<SqlValue>,
) -> Result<T, RecordError> {
    let reason = match v {
        Some(v) => match T::from_cell(v) {
            Ok(x) => return Ok(x),
            Err(reason) => reason,
        },
        None => "missing cell".into(),
    };
    Err(RecordError {
        table,
        column,
        reason,
    })
}

/// Implements [`Cell`] for a type and its `Option`, given the `SqlValue` variant, the column type,
/// how to write the inner value and how to parse it back.
macro_rules! cell {
    ($t:ty, $variant:ident, $ty:expr, |$x:ident| $to:expr, |$y:ident| $from:expr, text) => {
        cell_impl!(
            $t,
            $variant,
            $ty,
            |$x| $to,
            |$y| $from,
            {
                fn storable(&self, name: &'static str, out: &mut Vec<(String, String)>) {
                    text_storable(name, self.as_ref().map(TextCell::text), out);
                }
                fn into_cell(self) -> SqlValue {
                    SqlValue::$variant(self.map(TextCell::into_text))
                }
            },
            {
                fn storable(&self, name: &'static str, out: &mut Vec<(String, String)>) {
                    text_storable(name, Some(self.text()), out);
                }
                fn into_cell(self) -> SqlValue {
                    SqlValue::$variant(Some(self.into_text()))
                }
            }
        );
    };
    ($t:ty, $variant:ident, $ty:expr, |$x:ident| $to:expr, |$y:ident| $from:expr) => {
        cell_impl!($t, $variant, $ty, |$x| $to, |$y| $from, {}, {});
    };
}

/// [`cell!`]'s two impls, with the `storable` methods given (none: the default's).
macro_rules! cell_impl {
    ($t:ty, $variant:ident, $ty:expr, |$x:ident| $to:expr, |$y:ident| $from:expr,
        { $($opt_storable:tt)* }, { $($storable:tt)* }) => {
        impl Cell for Option<$t> {
            const TYPE: ColType = $ty;
            fn to_cell(&self) -> SqlValue {
                SqlValue::$variant(self.as_ref().map(|$x| $to))
            }
            fn from_cell(v: SqlValue) -> Result<Self, String> {
                match v {
                    SqlValue::$variant(inner) => inner.map(|$y| $from).transpose(),
                    other => Err(format!("expected {:?}, got {other:?}", $ty)),
                }
            }
            $($opt_storable)*
        }
        impl Cell for $t {
            const TYPE: ColType = $ty;
            fn to_cell(&self) -> SqlValue {
                let $x = self;
                SqlValue::$variant(Some($to))
            }
            fn from_cell(v: SqlValue) -> Result<Self, String> {
                Option::<$t>::from_cell(v)?.ok_or_else(|| "null".to_string())
            }
            $($storable)*
        }
    };
}

/// A type stored as text that can lend it, so its storable check builds no cell, and give it
/// up, so its cell moves the text instead of copying it.
trait TextCell {
    fn text(&self) -> &str;
    fn into_text(self) -> String;
}

impl TextCell for String {
    fn text(&self) -> &str {
        self
    }
    fn into_text(self) -> String {
        self
    }
}

impl TextCell for Id {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn into_text(self) -> String {
        String::from(self)
    }
}

fn text_storable(name: &'static str, v: Option<&str>, out: &mut Vec<(String, String)>) {
    if let Some(r) = v.and_then(super::storable::text_problem) {
        out.push((name.to_string(), r));
    }
}

cell!(String, Text, ColType::Text, |x| x.clone(), |y| Ok(y), text);
cell!(
    Id,
    Text,
    ColType::Text,
    |x| x.as_str().to_string(),
    |y| { Id::parse(y).map_err(|e| e.to_string()) },
    text
);
cell!(Period, Text, ColType::Text, |x| x.to_string(), |y| {
    Period::parse(&y).map_err(|e| e.to_string())
});
cell!(
    DealType,
    Text,
    ColType::Text,
    |x| x.as_str().to_string(),
    |y| { DealType::parse(&y).ok_or_else(|| format!("unknown deal type `{y}`")) }
);
cell!(Money, Float, ColType::Float, |x| x.get(), |y| {
    Money::parse(y).map_err(|e| e.to_string())
});
cell!(f64, Float, ColType::Float, |x| *x, |y| Ok(y));
cell!(i64, Int, ColType::Int, |x| *x, |y| Ok(y));
cell!(bool, Bool, ColType::Bool, |x| *x, |y| Ok(y));
cell!(Timestamp, Timestamp, ColType::Timestamp, |x| x.get(), |y| {
    Ok(Timestamp::new(y))
});
cell!(NaiveDate, Date, ColType::Date, |x| *x, |y| Ok(y));

impl Cell for Attributes {
    const TYPE: ColType = ColType::Json;
    fn to_cell(&self) -> SqlValue {
        SqlValue::Json(serde_json::Value::Object(self.clone()))
    }
    fn into_cell(self) -> SqlValue {
        SqlValue::Json(serde_json::Value::Object(self))
    }
    fn storable(&self, name: &'static str, out: &mut Vec<(String, String)>) {
        super::storable::json_column_problems(name, self, out);
    }
    fn from_cell(v: SqlValue) -> Result<Self, String> {
        match v {
            SqlValue::Json(serde_json::Value::Object(m)) => Ok(m),
            SqlValue::Json(serde_json::Value::Null) => Ok(Attributes::new()),
            other => Err(format!("expected a JSON object, got {other:?}")),
        }
    }
}

/// The column list, `to_values` and `from_values` of a [`super::Record`] from one list of its
/// fields with their types, in column order. `id: field` first names the field rebuilt from
/// the key (entities with a CRM id); entities keyed by their fields have none.
macro_rules! record_columns {
    (id: $id:ident, $($field:ident: $ty:ty),+ $(,)?) => {
        $crate::domain::cells::record_columns!(@impl key,
            { $id: $crate::domain::cells::read_cell(Self::TABLE, "id", Some($crate::domain::SqlValue::Text(Some(key))))?, }
            $($field: $ty),+);
    };
    ($($field:ident: $ty:ty),+ $(,)?) => {
        $crate::domain::cells::record_columns!(@impl _key, {} $($field: $ty),+);
    };
    (@impl $key:ident, { $($extra:tt)* } $($field:ident: $ty:ty),+) => {
        const COLUMNS: &'static [$crate::domain::Column] = &[
            $($crate::domain::Column {
                name: stringify!($field),
                ty: <$ty as $crate::domain::cells::Cell>::TYPE,
            }),+
        ];

        fn to_values(&self) -> Vec<$crate::domain::SqlValue> {
            vec![$($crate::domain::cells::Cell::to_cell(&self.$field)),+]
        }

        fn into_values(self) -> Vec<$crate::domain::SqlValue> {
            vec![$($crate::domain::cells::Cell::into_cell(self.$field)),+]
        }

        fn storable_problems(&self) -> Vec<(String, String)> {
            let mut out = Vec::new();
            $($crate::domain::cells::Cell::storable(&self.$field, stringify!($field), &mut out);)+
            out
        }

        fn from_values(
            $key: String,
            values: Vec<$crate::domain::SqlValue>,
        ) -> Result<Self, $crate::domain::RecordError> {
            let mut cells = values.into_iter();
            Ok(Self {
                $($extra)*
                $($field: $crate::domain::cells::read_cell::<$ty>(
                    Self::TABLE,
                    stringify!($field),
                    cells.next(),
                )?,)+
            })
        }
    };
}
pub(crate) use record_columns;
