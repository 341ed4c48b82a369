//! Check identities exactly as Soda Core 3.5.6 computes them.
//!
//! An identity is an 8-hex-digit blake2b hash (4-byte digest) of, in order and without
//! separators: the section header, the check line, the check's configuration minus the keys that
//! do not change what is checked (dumped as ruamel.yaml would dump it), then — for v2 — the data
//! source name and — for v3 — the checks file's base name. The configuration dump is the delicate
//! part: Soda Core feeds the bytes of ruamel's round-trip YAML output (an `!!omap` of the keys
//! sorted, original quoting kept, lines folded past 80 columns), so this module reproduces that
//! output for the YAML that checks files contain.

use blake2::Blake2bVar;
use blake2::digest::{Update, VariableOutput};

use super::yaml::{Node, Scalar, Style, Value};

/// Keys that never take part in an identity.
const IGNORED_KEYS: &[&str] = &[
    "name",
    "samples limit",
    "identity",
    "attributes",
    "template",
    "warn_only",
];

/// Further keys ignored for anomaly detection checks (model tuning).
const ANOMALY_DETECTION_KEYS: &[&str] = &[
    "take_over_existing_anomaly_score_check",
    "training_dataset_parameters",
    "model",
    "severity_level_parameters",
];

/// v1–v3 identities of one check; v4 is the configured `identity` when there is one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identities {
    pub v1: String,
    pub v2: String,
    pub v3: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub v4: Option<String>,
}

/// What an identity is computed from.
pub struct IdentitySource<'a> {
    pub header: &'a str,
    pub line: &'a str,
    pub configuration: Option<&'a Node>,
    pub anomaly_detection: bool,
    pub automated_monitoring: bool,
}

pub fn identities(source: &IdentitySource<'_>, data_source: &str, file_name: &str) -> Identities {
    let mut parts: Vec<String> = vec![source.header.to_owned(), source.line.to_owned()];
    if source.automated_monitoring {
        parts.push("automated_monitoring".to_owned());
    }
    if let Some(dump) = source
        .configuration
        .and_then(|c| configuration_dump(c, source.anomaly_detection))
    {
        parts.push(dump);
    }
    let v1 = hash(&parts);
    parts.push(data_source.to_owned());
    let v2 = hash(&parts);
    parts.push(file_name.to_owned());
    let v3 = hash(&parts);
    let v4 = source
        .configuration
        .and_then(|c| c.get("identity"))
        .and_then(Node::as_str)
        .map(str::to_owned);
    Identities { v1, v2, v3, v4 }
}

fn hash(parts: &[String]) -> String {
    // A 4-byte digest is always a valid output size for blake2b.
    let Ok(mut hasher) = Blake2bVar::new(4) else {
        return String::new();
    };
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let mut out = [0u8; 4];
    if hasher.finalize_variable(&mut out).is_err() {
        return String::new();
    }
    out.iter().map(|b| format!("{b:02x}")).collect()
}

/// The configuration as Soda Core's identity sees it, or `None` when no key is left.
pub fn configuration_dump(configuration: &Node, anomaly_detection: bool) -> Option<String> {
    let entries = configuration.as_map()?;
    let mut kept: Vec<&(Node, Node)> = entries
        .iter()
        .filter(|(k, _)| {
            let key = k.scalar_text().unwrap_or_default();
            let ignored = IGNORED_KEYS.contains(&key)
                || (anomaly_detection && ANOMALY_DETECTION_KEYS.contains(&key));
            !ignored
        })
        .collect();
    if kept.is_empty() {
        return None;
    }
    // Python sorts the keys as strings (code point order).
    kept.sort_by(|a, b| a.0.scalar_text().cmp(&b.0.scalar_text()));
    let mut out = Emitter::default();
    out.raw("!!omap");
    for (key, value) in kept {
        out.newline(2);
        out.raw("- ");
        out.key_value(key, value, 4);
    }
    out.text.push('\n');
    Some(out.text)
}

/// Emulates the parts of ruamel.yaml's emitter that checks-file configurations reach
/// (`indent(mapping=2, sequence=4, offset=2)`, width 80).
#[derive(Default)]
struct Emitter {
    text: String,
    column: usize,
}

const BEST_WIDTH: usize = 80;

impl Emitter {
    fn raw(&mut self, s: &str) {
        self.text.push_str(s);
        self.column += s.chars().count();
    }

    fn newline(&mut self, indent: usize) {
        self.text.push('\n');
        self.text.push_str(&" ".repeat(indent));
        self.column = indent;
    }

    /// `key: value` with the key at the current position, `indent` being the key's column.
    fn key_value(&mut self, key: &Node, value: &Node, indent: usize) {
        self.scalar(key, indent + 2);
        self.raw(":");
        match &value.value {
            Value::Scalar {
                kind: Scalar::Null,
                text,
                style: Style::Plain,
            } if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null") => {}
            Value::Scalar { .. } => {
                self.raw(" ");
                self.scalar(value, indent + 2);
            }
            Value::Seq(items) if items.is_empty() || self.is_flow(value) => {
                self.raw(" ");
                self.flow(value);
            }
            Value::Map(entries) if entries.is_empty() || self.is_flow(value) => {
                self.raw(" ");
                self.flow(value);
            }
            Value::Seq(items) => {
                for item in items {
                    self.newline(indent + 2);
                    self.raw("- ");
                    self.block_item(item, indent + 4);
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    self.newline(indent + 2);
                    self.key_value(k, v, indent + 2);
                }
            }
        }
    }

    /// A sequence item's content starting right after `- `; `indent` is its content column.
    fn block_item(&mut self, item: &Node, indent: usize) {
        match &item.value {
            Value::Scalar { .. } => self.scalar(item, indent),
            Value::Map(entries) if !entries.is_empty() && !self.is_flow(item) => {
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.newline(indent);
                    }
                    self.key_value(k, v, indent);
                }
            }
            Value::Seq(items) if !items.is_empty() && !self.is_flow(item) => {
                for (i, sub) in items.iter().enumerate() {
                    if i > 0 {
                        self.newline(indent);
                    }
                    self.raw("- ");
                    self.block_item(sub, indent + 2);
                }
            }
            _ => self.flow(item),
        }
    }

    fn is_flow(&self, node: &Node) -> bool {
        node.flow
    }

    fn flow(&mut self, node: &Node) {
        match &node.value {
            Value::Scalar { .. } => self.scalar(node, self.column),
            Value::Seq(items) => {
                self.raw("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.raw(", ");
                    }
                    self.flow(item);
                }
                self.raw("]");
            }
            Value::Map(entries) => {
                self.raw("{");
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.raw(", ");
                    }
                    self.flow(k);
                    self.raw(": ");
                    self.flow(v);
                }
                self.raw("}");
            }
        }
    }

    fn scalar(&mut self, node: &Node, indent: usize) {
        let Value::Scalar { text, style, kind } = &node.value else {
            return;
        };
        if let Some(anchor) = &node.anchor {
            self.raw(&format!("&{anchor} "));
        }
        match (style, kind) {
            (Style::Plain, Scalar::Null) => self.raw(""),
            (Style::Plain, Scalar::Bool(b)) => self.raw(if *b { "true" } else { "false" }),
            (Style::Plain, Scalar::Int(_) | Scalar::Float(_)) => self.raw(text),
            (Style::Plain, Scalar::Str) => self.folded(text, indent, None),
            (Style::SingleQuoted, _) => {
                let escaped = text.replace('\'', "''");
                self.folded(&escaped, indent, Some('\''));
            }
            (Style::DoubleQuoted, _) => {
                let escaped = escape_double(text);
                self.folded(&escaped, indent, Some('"'));
            }
            (Style::Literal | Style::Folded, _) => {
                let indicator = if *style == Style::Literal { "|" } else { ">" };
                let chomp = if text.ends_with('\n') { "" } else { "-" };
                self.raw(indicator);
                self.raw(chomp);
                for line in text.trim_end_matches('\n').split('\n') {
                    if line.is_empty() {
                        self.text.push('\n');
                        self.column = 0;
                    } else {
                        self.newline(indent);
                        self.raw(line);
                    }
                }
            }
        }
    }

    /// Writes words, breaking at a single space once the line is past the width (ruamel's
    /// `write_plain` / `write_single_quoted` rule).
    fn folded(&mut self, text: &str, indent: usize, quote: Option<char>) {
        if let Some(q) = quote {
            self.raw(&q.to_string());
        }
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                let single =
                    chars.get(i + 1).is_some_and(|n| *n != ' ') && (i == 0 || chars[i - 1] != ' ');
                let inside = quote.is_none() || (i != 0 && i + 1 != chars.len());
                if single && inside && self.column > BEST_WIDTH {
                    self.newline(indent);
                    i += 1;
                    continue;
                }
            }
            self.text.push(c);
            self.column += 1;
            i += 1;
        }
        if let Some(q) = quote {
            self.raw(&q.to_string());
        }
    }
}

fn escape_double(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sodacl::yaml;

    fn dump(src: &str) -> String {
        let root = yaml::parse(src).unwrap().unwrap();
        configuration_dump(&root.as_map().unwrap()[0].1, false).unwrap()
    }

    // Expected texts are ruamel.yaml 0.17's output through Soda Core's `to_yaml_str`.
    #[test]
    fn dumps_like_ruamel() {
        assert_eq!(
            dump("a:\n  fail: when > 5\n  warn: \"when > 3\"\n  filter: status = 'x'\n  name: n\n"),
            "!!omap\n  - fail: when > 5\n  - filter: status = 'x'\n  - warn: \"when > 3\"\n"
        );
        assert_eq!(
            dump(
                "a:\n  valid values: [a, 'b', \"c\"]\n  missing values:\n    - N/A\n    - 5\n  valid min: 0.50\n  include null: true\n  x: ~\n  y: 010\n"
            ),
            "!!omap\n  - include null: true\n  - missing values:\n      - N/A\n      - 5\n  - valid min: 0.50\n  - valid values: [a, 'b', \"c\"]\n  - x:\n  - y: 010\n"
        );
        assert_eq!(
            dump(
                "a:\n  fail:\n    when required column missing: [a, b]\n    when wrong column type:\n      a: varchar\n      b: \"int\"\n  warn:\n    when forbidden column present:\n      - x\n      - y\n"
            ),
            "!!omap\n  - fail:\n      when required column missing: [a, b]\n      when wrong column type:\n        a: varchar\n        b: \"int\"\n  - warn:\n      when forbidden column present:\n        - x\n        - y\n"
        );
        assert_eq!(
            dump(
                "a:\n  checks:\n    - m > 5:\n        name: required\n        fail: when > 5\n    - n < 3\n  fields:\n    - grp\n  query: SELECT warehouse, SUM(qty) AS total_qty FROM stock_levels GROUP BY warehouse, other_col_x\n  flag: True\n  n: 1.0e3\n  t: 'a very long single quoted string that goes on and on and on and on and on and on and on'\n  u: plain multi\n     line scalar\n"
            ),
            "!!omap\n  - checks:\n      - m > 5:\n          name: required\n          fail: when > 5\n      - n < 3\n  - fields:\n      - grp\n  - flag: true\n  - n: 1.0e3\n  - query: SELECT warehouse, SUM(qty) AS total_qty FROM stock_levels GROUP BY warehouse,\n      other_col_x\n  - t: 'a very long single quoted string that goes on and on and on and on and on\n      and on and on'\n  - u: plain multi line scalar\n"
        );
        assert_eq!(
            dump(
                "d:\n  q: |\n    SELECT 1\n    FROM x\n  f: {a: 1, b: [1, 2]}\n  g: []\n  h: {}\n  i: \"it's\"\n  k: ''\n  l: \"a\\tb\"\n"
            ),
            "!!omap\n  - f: {a: 1, b: [1, 2]}\n  - g: []\n  - h: {}\n  - i: \"it's\"\n  - k: ''\n  - l: \"a\\tb\"\n  - q: |\n      SELECT 1\n      FROM x\n"
        );
    }

    #[test]
    fn hashes_like_soda_core() {
        // From the corpus: `checks for shipments` / `row_count > 0`, no configuration.
        let ids = identities(
            &IdentitySource {
                header: "checks for shipments",
                line: "row_count > 0",
                configuration: None,
                anomaly_detection: false,
                automated_monitoring: false,
            },
            "corpus_duckdb",
            "err-structure--config-not-indented.yml",
        );
        assert_eq!(ids.v3, "cf89b3a6");
    }
}
