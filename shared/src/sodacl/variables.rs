//! Scan variables: `${NAME}` in checks files, resolved the way Soda Core's Jinja set-up does
//! (scan variables and the file's `variables:` section; an undefined name becomes empty text).

use std::collections::BTreeMap;

/// The longest text a `${NAME}` replacement may produce. Variables defined from each other
/// (`b: "${a}${a}"`, `c: "${b}${b}"`…) double at every step: thirty lines would make gigabytes.
pub const MAX_RESOLVED_LEN: usize = 1024 * 1024;

/// A resolved text would pass [`MAX_RESOLVED_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// The variables known at a point of the file.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    /// The scan variables, and `NOW` as the scan's start unless they set it themselves (as in
    /// Soda Core, where `-v NOW=…` wins); an empty `now` leaves `NOW` undefined.
    pub fn new(scan_variables: &BTreeMap<String, String>, now: &str) -> Self {
        let mut values = scan_variables.clone();
        if !now.is_empty() {
            values
                .entry("NOW".to_owned())
                .or_insert_with(|| now.to_owned());
        }
        Variables { values }
    }

    pub fn define(&mut self, name: &str, value: String) {
        self.values.insert(name.to_owned(), value);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replaces every `${ NAME }`; undefined names (and expressions Seltzer does not evaluate)
    /// become empty text, as in Soda Core. A result longer than [`MAX_RESOLVED_LEN`] is cut
    /// there (see [`Variables::try_resolve`] to refuse it instead).
    pub fn resolve(&self, text: &str) -> String {
        self.expand(text, false).unwrap_or_default()
    }

    /// [`Variables::resolve`], or `TooLong` when the result would pass [`MAX_RESOLVED_LEN`].
    pub fn try_resolve(&self, text: &str) -> Result<String, TooLong> {
        self.expand(text, true)
    }

    fn expand(&self, text: &str, strict: bool) -> Result<String, TooLong> {
        if !text.contains("${") {
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(text.len().min(MAX_RESOLVED_LEN));
        let push = |out: &mut String, piece: &str| {
            if out.len() + piece.len() <= MAX_RESOLVED_LEN {
                out.push_str(piece);
                return Ok(());
            }
            if strict {
                return Err(TooLong);
            }
            let mut end = MAX_RESOLVED_LEN - out.len();
            while !piece.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&piece[..end]);
            Err(TooLong)
        };
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let full = push(&mut out, &rest[..start]).and_then(|()| match after.find('}') {
                Some(end) => {
                    let name = after[..end].trim();
                    rest = &after[end + 1..];
                    self.values.get(name).map_or(Ok(()), |v| push(&mut out, v))
                }
                None => {
                    let tail = &rest[start..];
                    rest = "";
                    push(&mut out, tail)
                }
            });
            if full.is_err() {
                return if strict { Err(TooLong) } else { Ok(out) };
            }
        }
        match push(&mut out, rest) {
            Err(TooLong) if strict => Err(TooLong),
            _ => Ok(out),
        }
    }

    /// The `${NAME}`s in a text that have no value.
    pub fn undefined_in(&self, text: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let name = after[..end].trim();
            if !self.values.contains_key(name) {
                names.push(format!("${{{name}}}"));
            }
            rest = &after[end + 1..];
        }
        names
    }
}

/// Python's `float(text)`: surrounding whitespace, `_` between digits, `inf`, `nan`, exponents.
pub fn python_float(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let chars: Vec<char> = t.chars().collect();
    let mut cleaned = String::with_capacity(t.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == '_' {
            let between_digits = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !between_digits {
                return None;
            }
            continue;
        }
        cleaned.push(*c);
    }
    let lower = cleaned.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        return lower.parse().ok();
    }
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
    {
        return None;
    }
    cleaned.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_reports_undefined() {
        let mut vars = Variables::default();
        vars.define("A", "1".to_owned());
        assert_eq!(vars.resolve("x ${A} ${ B } y"), "x 1  y");
        assert_eq!(vars.undefined_in("${A} ${B}"), vec!["${B}".to_owned()]);
    }

    #[test]
    fn now_is_the_scan_start_unless_a_scan_variable_sets_it() {
        let start = "2026-12-06T07:54:27.123000+00:00";
        let vars = Variables::new(&BTreeMap::new(), start);
        assert_eq!(vars.resolve("${NOW}"), start);
        let set = BTreeMap::from([("NOW".to_owned(), "2020-01-01".to_owned())]);
        assert_eq!(Variables::new(&set, start).resolve("${NOW}"), "2020-01-01");
        assert_eq!(Variables::new(&BTreeMap::new(), "").get("NOW"), None);
    }

    #[test]
    fn expansion_is_bounded() {
        let mut vars = Variables::default();
        vars.define("a", "x".repeat(1000));
        let doubled = "${a}".repeat(2000);
        assert_eq!(vars.try_resolve(&doubled), Err(TooLong));
        assert_eq!(vars.resolve(&doubled).len(), MAX_RESOLVED_LEN);
        assert_eq!(vars.try_resolve("${a}${a}").unwrap().len(), 2000);
        assert_eq!(vars.resolve("a ${nope"), "a ${nope");
    }

    #[test]
    fn reads_floats_like_python() {
        assert_eq!(python_float("1e3"), Some(1000.0));
        assert_eq!(python_float("1_000"), Some(1000.0));
        assert_eq!(python_float(" 5 "), Some(5.0));
        assert!(python_float("inf").is_some_and(f64::is_infinite));
        assert_eq!(python_float("ten"), None);
        assert_eq!(python_float("_1"), None);
        assert_eq!(python_float(""), None);
    }
}
