//! A checks file as a YAML tree that remembers where everything is.
//!
//! Soda Core loads checks files with ruamel.yaml (YAML 1.2, round trip): scalars are typed by
//! the 1.2 core rules, quoting is remembered (it matters for identities), and duplicate keys are
//! an error. This module rebuilds that view from `yaml-rust2`'s event stream, keeping the line and
//! column of every node so that each diagnostic can point at its cause.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// 1-based line and column of a node's first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar's YAML 1.2 type (plain scalars only; quoted and block scalars are strings).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar {
        text: String,
        style: Style,
        kind: Scalar,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
    /// Written in flow style (`[a, b]`, `{a: 1}`); ruamel keeps the style when dumping.
    pub flow: bool,
    /// The `&name` anchor on a scalar, which ruamel keeps (also where an alias repeats it).
    pub anchor: Option<String>,
}

/// A YAML syntax error, located where ruamel.yaml would locate it when that is knowable (the
/// opening bracket of an unclosed flow list, the enclosing mapping of a duplicate key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar {
                text,
                kind: Scalar::Str,
                ..
            } => Some(text),
            _ => None,
        }
    }

    /// A plain scalar: its characters sit in the source as they are in the text (used to point
    /// at a character of a check line).
    pub fn style_is_plain_single_line(&self) -> bool {
        matches!(
            self.value,
            Value::Scalar {
                style: Style::Plain,
                ..
            }
        )
    }

    /// The scalar's source text whatever its type (`5`, `true`, `abc`).
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self.value,
            Value::Scalar {
                kind: Scalar::Null,
                ..
            }
        )
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The Python type name Soda Core would print for this value in its messages.
    pub fn python_type(&self) -> &'static str {
        match &self.value {
            Value::Scalar { kind, .. } => match kind {
                Scalar::Null => "NoneType",
                Scalar::Bool(_) => "bool",
                Scalar::Int(_) => "int",
                Scalar::Float(_) => "float",
                Scalar::Str => "str",
            },
            Value::Seq(_) => "CommentedSeq",
            Value::Map(_) => "CommentedMap",
        }
    }

    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.scalar_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value as plain JSON, the way the corpus records `source_configurations`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar { text, kind, .. } => match kind {
                Scalar::Null => J::Null,
                Scalar::Bool(b) => J::Bool(*b),
                Scalar::Int(i) => J::from(*i),
                Scalar::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
                Scalar::Str => J::String(text.clone()),
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text().unwrap_or_default().to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Collections nested deeper than this are refused (a checks file needs a handful).
const MAX_DEPTH: usize = 64;

/// The most nodes aliases may add to a file, all aliases together. Each `*alias` copies its
/// anchor's whole tree, so a few hundred bytes of nested aliases ("billion laughs") expand
/// exponentially; a real checks file repeats a handful of small anchors.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// Parses one YAML document. An empty document (or only comments) is `Ok(None)`.
pub fn parse(source: &str) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder {
        chars: source.chars().collect(),
        ..Builder::default()
    };
    let mut parser = Parser::new_from_str(source);
    // Pulled event by event so that a hostile nesting depth stops the parse at once.
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, mark)) => {
                if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..))
                    && builder.stack.len() >= MAX_DEPTH
                {
                    return Err(YamlError {
                        pos: pos(&mark),
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                builder.on_event(event, mark);
                if let Some(err) = builder.error.take() {
                    return Err(err);
                }
            }
            Err(err) => return Err(builder.locate(source, err.marker(), err.info())),
        }
    }
    Ok(builder.root)
}

fn pos(mark: &Marker) -> Pos {
    // yaml-rust2 counts columns from 0 and lines from 1.
    Pos {
        line: u32::try_from(mark.line()).unwrap_or(u32::MAX),
        col: u32::try_from(mark.col() + 1).unwrap_or(u32::MAX),
    }
}

enum Open {
    Seq {
        pos: Pos,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        flow: bool,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// The scalar keys so far, by text and type: duplicates are found in constant time.
        seen: std::collections::HashSet<(String, &'static str)>,
    },
}

#[derive(Default)]
struct Builder {
    chars: Vec<char>,
    stack: Vec<Open>,
    root: Option<Node>,
    /// Anchored nodes by anchor id, with their size in nodes.
    anchors: std::collections::HashMap<usize, (Node, usize)>,
    /// Nodes added by aliases so far (see [`MAX_ALIAS_NODES`]).
    alias_nodes: usize,
    error: Option<YamlError>,
}

impl Node {
    /// The number of nodes in this tree (itself included).
    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Scalar { .. } => 0,
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
        }
    }
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map {
                entries,
                key,
                pos,
                flow,
                seen,
                ..
            }) => match key.take() {
                None => {
                    // A block mapping starts at its first key (yaml-rust2 marks the colon).
                    if !*flow && entries.is_empty() {
                        *pos = node.pos;
                    }
                    *key = Some(node);
                }
                Some(k) => {
                    let duplicate = k
                        .scalar_text()
                        .is_some_and(|text| !seen.insert((text.to_owned(), k.python_type())));
                    if duplicate && self.error.is_none() {
                        self.error = Some(YamlError {
                            pos: *pos,
                            message: format!(
                                "duplicate key \"{}\" in this mapping (line {})",
                                k.scalar_text().unwrap_or_default(),
                                k.pos.line
                            ),
                        });
                    }
                    entries.push((k, node));
                }
            },
        }
    }

    /// Where ruamel.yaml would report a syntax error: for a problem inside an unclosed flow
    /// collection, the collection's opening bracket; otherwise the problem itself.
    fn locate(&self, source: &str, mark: &Marker, info: &str) -> YamlError {
        let flow_open = self.stack.iter().rev().find_map(|open| match open {
            Open::Seq {
                flow: true, pos, ..
            }
            | Open::Map {
                flow: true, pos, ..
            } => Some(*pos),
            _ => None,
        });
        let mut at = pos(mark);
        let innermost_block = |want_seq: bool| {
            self.stack.iter().rev().find_map(|open| match open {
                Open::Seq {
                    flow: false, pos, ..
                } if want_seq => Some(*pos),
                Open::Map {
                    flow: false, pos, ..
                } if !want_seq => Some(*pos),
                _ => None,
            })
        };
        if let Some(open) = flow_open {
            at = open;
        } else if info.contains("block collection") || info.contains("block sequence") {
            at = innermost_block(true).unwrap_or(at);
        } else if info.contains("block mapping") {
            at = innermost_block(false).unwrap_or(at);
        } else if info.contains("quoted scalar") {
            // The opening quote: the last quote character before the problem that starts a
            // scalar (ruamel's context mark).
            if let Some(p) = opening_quote_before(source, mark.index()) {
                at = p;
            }
        }
        YamlError {
            pos: at,
            message: info.to_owned(),
        }
    }
}

fn opening_quote_before(source: &str, char_index: usize) -> Option<Pos> {
    let chars: Vec<char> = source.chars().take(char_index.saturating_add(1)).collect();
    let mut line = 1u32;
    let mut col = 1u32;
    let mut candidate = None;
    let mut prev = ' ';
    for c in &chars {
        if (*c == '"' || *c == '\'') && matches!(prev, ' ' | ':' | '[' | '{' | ',' | '-' | '\n') {
            candidate = Some(Pos { line, col });
        }
        if *c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
        prev = *c;
    }
    candidate
}

impl Builder {
    /// The name of the `&name` anchor written just before the character at `index`.
    fn anchor_name_before(&self, index: usize) -> Option<String> {
        let before = &self.chars[..index.min(self.chars.len())];
        let amp = before.iter().rposition(|c| *c == '&')?;
        let name: String = before[amp + 1..]
            .iter()
            .take_while(|c| !c.is_whitespace())
            .collect();
        (!name.is_empty()).then_some(name)
    }

    /// Where an empty node sits: after the `-` or `:` that ends the last non-blank line before
    /// the token yaml-rust2 marked (comments aside).
    fn after_indicator(&self, index: usize) -> Option<Pos> {
        let text: String = self.chars[..index.min(self.chars.len())].iter().collect();
        let before_line = &text[..text.rfind('\n')?];
        let mut line_no = u32::try_from(before_line.matches('\n').count()).ok()? + 1;
        for line in before_line.rsplit('\n') {
            let content = match line.find(" #") {
                Some(i) => &line[..i],
                None if line.trim_start().starts_with('#') => "",
                None => line,
            };
            let content = content.trim_end();
            if !content.is_empty() {
                let col = u32::try_from(content.chars().count()).ok()?;
                return Some(Pos {
                    line: line_no,
                    col: col + 2,
                });
            }
            line_no -= 1;
        }
        None
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let (style, kind) = match style {
                    TScalarStyle::Plain if !forced_str => (Style::Plain, resolve_plain(&text)),
                    TScalarStyle::Plain => (Style::Plain, Scalar::Str),
                    TScalarStyle::SingleQuoted => (Style::SingleQuoted, Scalar::Str),
                    TScalarStyle::DoubleQuoted => (Style::DoubleQuoted, Scalar::Str),
                    TScalarStyle::Literal => (Style::Literal, Scalar::Str),
                    TScalarStyle::Folded => (Style::Folded, Scalar::Str),
                };
                let mut at = pos(&mark);
                // yaml-rust2 reports an empty node as a plain `~` marked at the next token.
                let empty = style == Style::Plain
                    && (text.is_empty()
                        || (text == "~" && self.chars.get(mark.index()) != Some(&'~')));
                if empty {
                    // An empty value is marked at the next token; it belongs right after the
                    // `-` or `:` that introduced it.
                    at = self.after_indicator(mark.index()).unwrap_or(at);
                }
                let anchor_name = (anchor > 0)
                    .then(|| self.anchor_name_before(mark.index()))
                    .flatten();
                let node = Node {
                    pos: at,
                    value: Value::Scalar { text, style, kind },
                    flow: false,
                    anchor: anchor_name,
                };
                self.push_node(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let flow = self.chars.get(mark.index()) == Some(&'[');
                self.stack.push(Open::Seq {
                    pos: pos(&mark),
                    flow,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                let flow = self.chars.get(mark.index()) == Some(&'{');
                self.stack.push(Open::Map {
                    pos: pos(&mark),
                    flow,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    seen: std::collections::HashSet::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    let (node, anchor) = match open {
                        Open::Seq {
                            pos,
                            items,
                            anchor,
                            flow,
                        } => (
                            Node {
                                pos,
                                value: Value::Seq(items),
                                flow,
                                anchor: None,
                            },
                            anchor,
                        ),
                        Open::Map {
                            pos,
                            entries,
                            anchor,
                            flow,
                            ..
                        } => (
                            Node {
                                pos,
                                value: Value::Map(entries),
                                flow,
                                anchor: None,
                            },
                            anchor,
                        ),
                    };
                    self.push_node(node, anchor);
                }
            }
            Event::Alias(id) => {
                let Some((anchored, size)) = self.anchors.get(&id) else {
                    return;
                };
                self.alias_nodes = self.alias_nodes.saturating_add(*size);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    self.error = Some(YamlError {
                        pos: pos(&mark),
                        message: format!(
                            "aliases expand this file to more than {MAX_ALIAS_NODES} YAML nodes; \
                             a checks file needs far fewer (is an anchor repeated inside itself?)"
                        ),
                    });
                    return;
                }
                let mut node = anchored.clone();
                node.pos = pos(&mark);
                self.push_node(node, 0);
            }
            Event::DocumentStart if self.root.is_some() => {
                self.error = Some(YamlError {
                    pos: pos(&mark),
                    message: "a checks file holds one YAML document; remove the second '---'"
                        .to_owned(),
                });
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// YAML 1.2 core schema resolution of a plain scalar, as ruamel.yaml does it.
fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1i64, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    if body.is_empty() {
        return Scalar::Str;
    }
    let digits_only =
        |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c == '_' || c.is_digit(radix));
    let int = |s: &str, radix: u32| {
        i64::from_str_radix(&s.replace('_', ""), radix)
            .ok()
            .map(|v| Scalar::Int(sign * v))
    };
    if let Some(hex) = body.strip_prefix("0x")
        && digits_only(hex, 16)
    {
        return int(hex, 16).unwrap_or(Scalar::Str);
    }
    if let Some(oct) = body.strip_prefix("0o")
        && digits_only(oct, 8)
    {
        return int(oct, 8).unwrap_or(Scalar::Str);
    }
    if let Some(bin) = body.strip_prefix("0b")
        && digits_only(bin, 2)
    {
        return int(bin, 2).unwrap_or(Scalar::Str);
    }
    if body.as_bytes()[0].is_ascii_digit() && digits_only(body, 10) {
        return int(body, 10).unwrap_or(Scalar::Str);
    }
    if is_yaml_float(body)
        && let Ok(v) = body.replace('_', "").parse::<f64>()
    {
        return Scalar::Float(if sign < 0 { -v } else { v });
    }
    Scalar::Str
}

/// `D[.D][e±D]`, `D.`, `.D`, `DeD` — ruamel's 1.2 float pattern (digits may contain `_`).
fn is_yaml_float(body: &str) -> bool {
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !exp.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && !frac.is_empty() && digits(frac))
                || (!int.is_empty()
                    && int.as_bytes()[0].is_ascii_digit()
                    && digits(int)
                    && digits(frac))
        }
        None => {
            exponent.is_some()
                && !mantissa.is_empty()
                && mantissa.as_bytes()[0].is_ascii_digit()
                && digits(mantissa)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let root = parse("checks for x:\n  - row_count > 0:\n      name: a\n")
            .unwrap()
            .unwrap();
        let (key, value) = &root.as_map().unwrap()[0];
        assert_eq!(key.pos, Pos { line: 1, col: 1 });
        let item = &value.as_seq().unwrap()[0];
        let (line, config) = &item.as_map().unwrap()[0];
        assert_eq!(line.pos, Pos { line: 2, col: 5 });
        assert_eq!(config.get("name").unwrap().pos, Pos { line: 3, col: 13 });
    }

    #[test]
    fn plain_scalars_are_typed_like_yaml_1_2() {
        let root = parse("a: [1, -2.5, .5, 1e3, true, yes, ~, '1', 0x1f, 1_000, 5.]")
            .unwrap()
            .unwrap();
        let kinds: Vec<_> = root
            .get("a")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(Node::python_type)
            .collect();
        assert_eq!(
            kinds,
            [
                "int", "float", "float", "float", "bool", "str", "NoneType", "str", "int", "int",
                "float"
            ]
        );
    }

    #[test]
    fn duplicate_keys_point_at_the_enclosing_mapping() {
        let err =
            parse("checks for x:\n  - row_count:\n      warn: when > 5\n      warn: when > 10\n")
                .unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 7 });
    }

    #[test]
    fn empty_and_comment_only_documents_are_none() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# nothing\n").unwrap(), None);
    }
}
