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

/// `s.trim()`, cheaper on text whose ends are printable ASCII (most cells): such text is
/// returned as it is without looking at its characters one by one. Unicode's white space in
/// ASCII is all at or below the space character.
pub fn trim(s: &str) -> &str {
    let printable = |b: u8| b > b' ' && b < 0x80;
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) if printable(a) && printable(z) => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

#[cfg(test)]
mod trim_tests {
    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "\u{a0}x\u{a0}",
            "\u{2003}é",
            "é\u{85}",
            "a b",
            "\u{7f}",
            "\u{0b}x",
            "x\u{0c}",
            "Select",
            " Select ",
        ] {
            assert_eq!(super::trim(s), s.trim(), "{s:?}");
        }
    }
}
