//! Python's renderings, as ACRO's files hold them: `json.dump(indent=4)`, and the `repr` of
//! floats (which numpy's `str` and so pandas' `to_csv` share), strings and lists.

use std::fmt::Write as _;

/// A Python value, to write as Python's `json.dump` writes it (keys in order).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Py {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    List(Vec<Py>),
    Dict(Vec<(String, Py)>),
}

impl Py {
    pub(super) fn str(s: &str) -> Py {
        Py::Str(s.to_owned())
    }

    pub(super) fn uint(n: u64) -> Py {
        Py::Int(i128::from(n))
    }

    /// `json.dump(value, indent=4)`: ASCII, `": "` and `","` separators, no final newline.
    pub(super) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(0, &mut out);
        out
    }

    fn write_json(&self, level: usize, out: &mut String) {
        let pad = |out: &mut String, level: usize| out.extend(std::iter::repeat_n("    ", level));
        match self {
            Py::Str(s) => json_string(s, out),
            Py::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Py::Float(x) if x.is_nan() => out.push_str("NaN"),
            Py::Float(x) if x.is_infinite() => out.push_str(if *x > 0.0 { "Infinity" } else { "-Infinity" }),
            Py::Float(x) => out.push_str(&py_float(*x)),
            Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Py::List(items) if items.is_empty() => out.push_str("[]"),
            Py::Dict(items) if items.is_empty() => out.push_str("{}"),
            Py::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, level + 1);
                    item.write_json(level + 1, out);
                }
                out.push('\n');
                pad(out, level);
                out.push(']');
            }
            Py::Dict(items) => {
                out.push('{');
                for (i, (key, value)) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, level + 1);
                    json_string(key, out);
                    out.push_str(": ");
                    value.write_json(level + 1, out);
                }
                out.push('\n');
                pad(out, level);
                out.push('}');
            }
        }
    }
}

/// A JSON string as Python's `json` writes it with `ensure_ascii`: everything outside
/// `' '..='~'` escaped, `\uXXXX` in lowercase hex (surrogate pairs above the BMP).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr` of a float (numpy's `str` of a float64 is the same): the shortest digits
/// that read back, fixed notation for exponents from -4 to 15 (`9.0`, `0.0001`), scientific
/// otherwise (`1e+16`, `1.5e-05`).
pub(super) fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.5e-5`, `0e0`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let (first, rest) = digits.split_at(1.min(digits.len()));
    if !(-4..16).contains(&exponent) {
        let dot = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}e{esign}{:02}", exponent.unsigned_abs());
    }
    if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        return format!("{sign}0.{zeros}{digits}");
    }
    let whole = exponent as usize + 1;
    if digits.len() <= whole {
        format!("{sign}{digits}{}.0", "0".repeat(whole - digits.len()))
    } else {
        let (int, frac) = digits.split_at(whole);
        format!("{sign}{int}.{frac}")
    }
}

/// Python's `repr` of a string: single quotes unless it holds one and no double quote.
pub(super) fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || ('\u{7f}'..='\u{a0}').contains(&c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a list of strings: `['a', 'b']`.
pub(super) fn py_list<'s>(items: impl Iterator<Item = &'s String>) -> String {
    format!("[{}]", items.map(|s| py_str(s)).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn floats_are_written_as_python_writes_them() {
        let cases = [
            (9.0, "9.0"),
            (24.93228925748792, "24.93228925748792"),
            (0.1, "0.1"),
            (0.9, "0.9"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (56.925925925925924, "56.925925925925924"),
            (f64::NAN, "nan"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float(x), want, "{x}");
        }
    }

    #[test]
    fn strings_are_written_as_python_writes_them() {
        assert_eq!(py_str("a"), "'a'");
        assert_eq!(py_str("it's"), "\"it's\"");
        assert_eq!(py_str("'\""), "'\\'\"'");
        assert_eq!(py_list(["g".to_owned(), "c".to_owned()].iter()), "['g', 'c']");
        let mut out = String::new();
        json_string("é\u{2028}\u{1}\"😀", &mut out);
        assert_eq!(out, "\"\\u00e9\\u2028\\u0001\\\"\\ud83d\\ude00\"");
    }

    #[test]
    fn json_is_indented_as_python_indents_it() {
        let v = Py::Dict(vec![
            ("a".to_owned(), Py::List(vec![Py::List(vec![Py::uint(0), Py::uint(1)])])),
            ("b".to_owned(), Py::List(vec![])),
            ("c".to_owned(), Py::Dict(vec![])),
            ("d".to_owned(), Py::Float(0.9)),
            ("e".to_owned(), Py::Bool(false)),
        ]);
        let want = "{\n    \"a\": [\n        [\n            0,\n            1\n        ]\n    ],\n    \"b\": [],\n    \"c\": {},\n    \"d\": 0.9,\n    \"e\": false\n}";
        assert_eq!(v.to_json(), want);
    }
}
