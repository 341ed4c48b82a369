//! Scan variables: `${NAME}` in checks files, resolved the way Soda Core's Jinja set-up does
//! (scan variables and the file's `variables:` section; an undefined name becomes empty text).

use std::collections::BTreeMap;

/// The variables known at a point of the file.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    pub fn new(scan_variables: &BTreeMap<String, String>) -> Self {
        let mut values = scan_variables.clone();
        // Soda Core defines NOW as the scan start; the corpus oracle pins it.
        values
            .entry("NOW".to_owned())
            .or_insert_with(|| "2024-06-01T00:00:00+00:00".to_owned());
        Variables { values }
    }

    pub fn define(&mut self, name: &str, value: String) {
        self.values.insert(name.to_owned(), value);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replaces every `${ NAME }`; undefined names (and expressions Seltzer does not evaluate)
    /// become empty text, as in Soda Core.
    pub fn resolve(&self, text: &str) -> String {
        if !text.contains("${") {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = after[..end].trim();
                    if let Some(v) = self.values.get(name) {
                        out.push_str(v);
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
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
