//! Plain decimals (`674`, `-2.5`, `0.33`) read without the standard library's general float
//! parser: most number cells of a CRM export are such, and `revcast score` reads millions.

/// Powers of ten exact in an f64, up to the most fraction digits a plain decimal has.
const POWERS: [f64; 15] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
];

/// `text` as `text.parse::<f64>()` reads it, when it is a plain decimal: an optional `-`,
/// then 1 to 15 digits with at most one point between two of them; None for anything else
/// (left to the general parser).
///
/// The same bits as the parser: the digits make an integer below 10^15 < 2^53 and the point a
/// power of ten up to 10^14, both exact in an f64, so their quotient is rounded once, to the
/// nearest, as the parser rounds the decimal.
pub(crate) fn plain_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let (mut m, mut n, mut fraction) = (0u64, 0usize, None);
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(b - b'0');
                n += 1;
            }
            b'.' if fraction.is_none() && i > 0 && i + 1 < digits.len() => {
                fraction = Some(digits.len() - i - 1);
            }
            _ => return None,
        }
    }
    if n > 15 {
        return None;
    }
    let x = match fraction {
        Some(k) => m as f64 / POWERS[k],
        None => m as f64,
    };
    Some(if negative { -x } else { x })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_the_parser(text: &str) {
        if let Some(x) = plain_decimal(text) {
            let want: f64 = text.parse().unwrap();
            assert_eq!(x.to_bits(), want.to_bits(), "{text}");
        }
    }

    #[test]
    fn plain_decimals_read_as_the_parser_reads_them() {
        for t in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "674",
            "2.5",
            "1.33",
            "0.1",
            "0.3",
            "999999999999999",
            "99999999999999.9",
            "0.00000000000001",
            "1.00000000000001",
            "-123.456",
            "9007199254",
        ] {
            assert!(plain_decimal(t).is_some(), "{t}");
            same_as_the_parser(t);
        }
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..300_000 {
            let len = 1 + next(16) as usize;
            let mut t: String = (0..len)
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            if next(2) == 0 {
                t.insert(next(len as u64 + 1) as usize, '.');
            }
            if next(3) == 0 {
                t.insert(0, '-');
            }
            same_as_the_parser(&t);
        }
    }

    #[test]
    fn anything_else_is_left_to_the_parser() {
        for t in [
            "",
            "-",
            ".5",
            "5.",
            "+5",
            "1e3",
            "1.2.3",
            "1,5",
            " 1",
            "inf",
            "NaN",
            "0x10",
            "--1",
            "1234567890123456",
            "1.234567890123456",
        ] {
            assert_eq!(plain_decimal(t), None, "{t}");
        }
    }
}
