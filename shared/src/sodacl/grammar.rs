//! The check-line and section-header grammar of Soda Core 3.5.6 (its ANTLR grammar
//! `SodaCLAntlr.g4`), re-implemented as a longest-match lexer and a recursive-descent parser.
//!
//! The language is whitespace-exact: words are separated by exactly one space, keywords are
//! lower case and reserved. Where ANTLR only says "mismatched input", the errors here say what
//! was expected where, and how to fix it; their offset is the character in the line at fault.

use std::fmt;

/// Literal tokens, in the lexer's rule order (a tie in length goes to the earlier rule).
const LITERALS: &[&str] = &[
    "freshness using",
    "with",
    "failed rows",
    "group by",
    "row_count same as",
    "default",
    "same day last week",
    "percent",
    "anomaly score for ",
    "anomaly detection for ",
    "values in",
    "must",
    "exist in",
    "checks for",
    "filter",
    "configurations for",
    "for each dataset",
    "for each table",
    "for each column",
    ".",
    "for",
    "and",
    "between",
    "not",
    "in",
    "warn",
    "fail",
    "pass",
    "change",
    "last",
    "avg",
    "min",
    "max",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    "%",
    "+",
    "-",
    "!=",
    "<>",
    "<=",
    ">=",
    "=",
    "<",
    ">",
];

/// The words reserved as keywords: a column or dataset with such a name must be quoted.
pub const RESERVED_WORDS: &[&str] = &[
    "with", "default", "percent", "must", "filter", "for", "and", "between", "not", "in", "warn",
    "fail", "pass", "change", "last", "d", "h", "m",
];

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A literal token (keyword, phrase or punctuation).
    Lit(&'static str),
    /// `3d`, `12h`: one duration unit.
    TimeUnit,
    /// `d`, `h`, `m` alone.
    Unit,
    Ident,
    Digits,
    Space,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    /// Character offset in the line.
    at: usize,
}

/// A syntax error at a character offset of the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    !matches!(c, ' ' | '<' | '=' | '>' | '(' | ')' | '[' | ']' | ',')
}

/// Length in chars of the longest unquoted identifier at the start of `s`.
fn unquoted_ident_len(s: &[char]) -> usize {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    if i >= s.len() || !is_ident_start(s[i]) {
        return 0;
    }
    i += 1;
    while i < s.len() && is_ident_char(s[i]) {
        i += 1;
    }
    i
}

fn quoted_len(s: &[char], open: char, close: char) -> usize {
    if s.first() != Some(&open) {
        return 0;
    }
    let mut i = 1;
    while i < s.len() {
        if s[i] == '\\' && s.get(i + 1) == Some(&close) {
            i += 2;
            continue;
        }
        if s[i] == close {
            return if i > 1 { i + 1 } else { 0 };
        }
        i += 1;
    }
    0
}

fn square_ident_len(s: &[char]) -> usize {
    if s.first() != Some(&'[') || !s.get(1).is_some_and(|c| is_ident_start(*c)) {
        return 0;
    }
    match s.iter().position(|c| *c == ']') {
        Some(end) => end + 1,
        None => 0,
    }
}

fn time_unit_len(s: &[char]) -> usize {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && matches!(s.get(digits), Some('d' | 'h' | 'm')) {
        digits + 1
    } else {
        0
    }
}

fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        // (length, kind), first best wins on ties: rule order.
        let mut best: (usize, Kind) = (0, Kind::Space);
        let mut consider = |len: usize, kind: Kind| {
            if len > best.0 {
                best = (len, kind);
            }
        };
        for lit in LITERALS {
            // Literals are ASCII: bytes and chars coincide.
            let bytes = lit.as_bytes();
            if rest.len() >= bytes.len()
                && u32::from(bytes[0]) == u32::from(rest[0])
                && rest[..bytes.len()]
                    .iter()
                    .zip(bytes)
                    .all(|(c, b)| u32::from(*c) == u32::from(*b))
            {
                consider(bytes.len(), Kind::Lit(lit));
            }
        }
        consider(time_unit_len(rest), Kind::TimeUnit);
        if matches!(rest[0], 'd' | 'h' | 'm') {
            consider(1, Kind::Unit);
        }
        consider(quoted_len(rest, '"', '"'), Kind::Ident);
        consider(quoted_len(rest, '`', '`'), Kind::Ident);
        consider(unquoted_ident_len(rest), Kind::Ident);
        consider(square_ident_len(rest), Kind::Ident);
        consider(
            rest.iter().take_while(|c| c.is_ascii_digit()).count(),
            Kind::Digits,
        );
        if rest[0] == ' ' {
            consider(1, Kind::Space);
        }
        if best.0 == 0 {
            let c = rest[0];
            let hint = match c {
                '\'' => " (quote an identifier with double quotes or backticks, not single quotes)",
                '"' | '`' => " (the quote is never closed)",
                '\t' => " (use one space, not a tab)",
                _ => "",
            };
            return Err(SyntaxError {
                offset: i,
                message: format!("unexpected character '{c}'{hint}"),
            });
        }
        tokens.push(Token {
            kind: best.1,
            text: rest[..best.0].iter().collect(),
            at: i,
        });
        i += best.0;
    }
    Ok(tokens)
}

/// A threshold value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    /// Seconds, from one or more `<digits><d|h|m>` units.
    Duration(f64),
    /// An identifier: a variable (`${MAX}`) or text Python's `float()` may still read (`1e3`).
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Lt,
    Lte,
    Eq,
    Gte,
    Gt,
    Ne,
}

/// A condition as written: `> 5`, `between (1 and 10]`, `not between 1 and 2`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Comparator, Value),
    Between {
        not: bool,
        lower_inclusive: bool,
        lower: Value,
        upper: Value,
        upper_inclusive: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Number(f64),
    Ident(String),
}

impl Arg {
    pub fn text(&self) -> String {
        match self {
            Arg::Number(n) => format_number(*n),
            Arg::Ident(s) => s.clone(),
        }
    }
}

/// Python's `str(float)` for the values a check line can hold.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{n:.1}")
    } else {
        format!("{n}")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeOverTime {
    pub last_measurements: Option<u32>,
    pub last_aggregation: Option<String>,
    pub same_day_last_week: bool,
    pub percent: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Prefix {
    Change(ChangeOverTime),
    AnomalyScore,
    AnomalyDetection,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LineThreshold {
    Condition(Condition),
    /// `< default` (anomaly score checks).
    Default,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    pub prefix: Option<Prefix>,
    pub metric: String,
    /// Character offset of the metric name in the line.
    pub metric_at: usize,
    pub args: Vec<Arg>,
    pub threshold: Option<LineThreshold>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckLine {
    Metric(MetricLine),
    RowCountComparison {
        other_dataset: String,
        other_partition: Option<String>,
        other_data_source: Option<String>,
    },
    Reference {
        source_columns: Vec<String>,
        must_not_exist: bool,
        target_dataset: String,
        target_columns: Vec<String>,
    },
    FreshnessUsing {
        column: String,
        variable: Option<String>,
        threshold: Option<Value>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    Checks {
        dataset: String,
        partition: Option<String>,
    },
    Filter {
        dataset: String,
        partition: String,
    },
    Configurations {
        dataset: String,
    },
    ForEachDataset {
        alias: String,
    },
    ForEachColumn {
        alias: String,
    },
}

struct P {
    tokens: Vec<Token>,
    pos: usize,
    len: usize,
}

fn describe(tok: Option<&Token>) -> String {
    match tok {
        None => "the end of the line".to_owned(),
        Some(t) if t.kind == Kind::Space => "a space".to_owned(),
        Some(t) => format!("'{}'", t.text),
    }
}

impl P {
    fn new(text: &str) -> Result<Self, SyntaxError> {
        Ok(P {
            tokens: lex(text)?,
            pos: 0,
            len: text.chars().count(),
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Token> {
        self.tokens.get(self.pos + n)
    }

    fn at(&self) -> usize {
        self.peek().map_or(self.len, |t| t.at)
    }

    fn is_lit(&self, lit: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: Kind::Lit(l), .. }) if *l == lit)
    }

    fn eat_lit(&mut self, lit: &str) -> bool {
        if self.is_lit(lit) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> SyntaxError {
        let found = self.peek();
        let mut message = format!("expected {expected}, found {}", describe(found));
        if found.is_some_and(|t| t.kind == Kind::Space) {
            if self
                .tokens
                .get(self.pos.wrapping_sub(1))
                .is_some_and(|t| t.kind == Kind::Space)
            {
                message.push_str(": words are separated by exactly one space");
            } else if self.pos + 1 == self.tokens.len() {
                message.push_str(": remove the trailing space");
            }
        }
        SyntaxError {
            offset: self.at(),
            message,
        }
    }

    fn expect_lit(&mut self, lit: &str) -> Result<(), SyntaxError> {
        if self.eat_lit(lit) {
            Ok(())
        } else {
            Err(self.error(&format!("'{lit}'")))
        }
    }

    fn space(&mut self) -> Result<(), SyntaxError> {
        if matches!(
            self.peek(),
            Some(Token {
                kind: Kind::Space,
                ..
            })
        ) {
            self.pos += 1;
            Ok(())
        } else {
            let mut err = self.error("one space");
            if self.peek().is_some() {
                err.message
                    .push_str(": put one space between the words and operators of a check");
            }
            Err(err)
        }
    }

    fn is_space(&self) -> bool {
        matches!(
            self.peek(),
            Some(Token {
                kind: Kind::Space,
                ..
            })
        )
    }

    fn end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("the end of the check")),
        }
    }

    /// identifier: unquoted, "quoted", `backticked`, [bracketed], or avg/min/max.
    fn identifier(&mut self, what: &str) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(Token {
                kind: Kind::Ident,
                text,
                ..
            }) => {
                let text = text.clone();
                self.pos += 1;
                Ok(text)
            }
            Some(Token {
                kind: Kind::Lit(l @ ("avg" | "min" | "max")),
                ..
            }) => {
                let text = (*l).to_owned();
                self.pos += 1;
                Ok(text)
            }
            Some(Token {
                kind: Kind::Lit(_) | Kind::Unit | Kind::TimeUnit,
                text,
                ..
            }) if text.chars().all(|c| c.is_ascii_alphanumeric()) => {
                let mut err = self.error(what);
                err.message.push_str(&format!(
                    ": '{text}' is a reserved SodaCL word; quote the name as \"{text}\""
                ));
                Err(err)
            }
            _ => Err(self.error(what)),
        }
    }

    fn digits(&mut self) -> Option<String> {
        match self.peek() {
            Some(Token {
                kind: Kind::Digits,
                text,
                ..
            }) => {
                let text = text.clone();
                self.pos += 1;
                Some(text)
            }
            _ => None,
        }
    }

    /// signed_number: (+|-)? (D | D. | D.D | .D)
    fn signed_number(&mut self) -> Option<f64> {
        let start = self.pos;
        let negative = if self.eat_lit("-") {
            true
        } else {
            self.eat_lit("+");
            false
        };
        let int = self.digits();
        let mut text = int.clone().unwrap_or_default();
        if self.eat_lit(".") {
            let frac = self.digits();
            if int.is_none() && frac.is_none() {
                self.pos = start;
                return None;
            }
            text.push('.');
            text.push_str(&frac.unwrap_or_default());
        } else if int.is_none() {
            self.pos = start;
            return None;
        }
        let text = if text.starts_with('.') {
            format!("0{text}")
        } else {
            text
        };
        let v: f64 = text.trim_end_matches('.').parse().ok()?;
        Some(if negative { -v } else { v })
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        if let Some(n) = self.signed_number() {
            // `5%`, `5 %`: the percent sign is decoration.
            if self.is_lit("%") {
                self.pos += 1;
            } else if self.is_space()
                && matches!(
                    self.peek_at(1),
                    Some(Token {
                        kind: Kind::Lit("%"),
                        ..
                    })
                )
            {
                self.pos += 2;
            }
            return Ok(Value::Number(n));
        }
        let mut seconds = 0.0;
        let mut any = false;
        while let Some(Token {
            kind: Kind::TimeUnit,
            text,
            ..
        }) = self.peek()
        {
            seconds += duration_seconds(text).unwrap_or(0.0);
            any = true;
            self.pos += 1;
        }
        if any {
            return Ok(Value::Duration(seconds));
        }
        match self.peek() {
            Some(Token {
                kind: Kind::Ident,
                text,
                ..
            }) if !text.starts_with(['"', '`', '[']) => {
                let text = text.clone();
                self.pos += 1;
                Ok(match duration_seconds(&text) {
                    Some(s) => Value::Duration(s),
                    None => Value::Text(text),
                })
            }
            _ => Err(self.error("a number, a duration such as 1d or 12h, or a ${VARIABLE}")),
        }
    }

    fn comparator(&mut self) -> Option<Comparator> {
        let c = match self.peek() {
            Some(Token {
                kind: Kind::Lit(l), ..
            }) => match *l {
                "<" => Comparator::Lt,
                "<=" => Comparator::Lte,
                "=" => Comparator::Eq,
                ">=" => Comparator::Gte,
                ">" => Comparator::Gt,
                "!=" | "<>" => Comparator::Ne,
                _ => return None,
            },
            _ => return None,
        };
        self.pos += 1;
        Some(c)
    }

    fn threshold(&mut self) -> Result<Condition, SyntaxError> {
        if let Some(c) = self.comparator() {
            if let Some(Token {
                kind: Kind::Lit(next @ ("<" | "=" | ">")),
                ..
            }) = self.peek()
            {
                return Err(SyntaxError {
                    offset: self.at() - 1,
                    message: format!(
                        "unknown comparator; write one of <, <=, =, >=, >, != (found '{}' followed by '{next}')",
                        comparator_text(c)
                    ),
                });
            }
            self.space()?;
            return Ok(Condition::Compare(c, self.value()?));
        }
        let not = self.eat_lit("not");
        if not {
            self.space()?;
        }
        if !self.eat_lit("between") {
            let mut err = self.error("a comparator (<, <=, =, >=, >, !=) or 'between'");
            if let Some(t) = self.peek() {
                let lower = t.text.to_lowercase();
                if lower == "between" || lower == "not" {
                    err.message
                        .push_str(&format!(": keywords are lower case, write '{lower}'"));
                } else if t.text == "=>" || t.text == "=<" || t.text == "==" {
                    err.message.push_str(": did you mean '>=', '<=' or '='?");
                } else if lower.starts_with("same") {
                    err.message.push_str(
                        ": to compare row counts write 'row_count same as OTHER_DATASET'",
                    );
                } else if lower == "score" || lower == "detection" {
                    err.message.push_str(&format!(
                        ": write 'anomaly {lower} for <metric>'{}",
                        if lower == "score" { " < default" } else { "" }
                    ));
                } else if super::catalogue::distance(&lower, "between") <= 2 {
                    err.message.push_str(": did you mean 'between'?");
                }
            }
            return Err(err);
        }
        self.space()?;
        let lower_inclusive = if self.eat_lit("(") {
            false
        } else {
            self.eat_lit("[");
            true
        };
        let lower = self.value()?;
        self.space()?;
        if !self.eat_lit("and") {
            let mut err = self.error("'and' between the two bounds");
            if self
                .peek()
                .is_some_and(|t| t.text.eq_ignore_ascii_case("and"))
            {
                err.message
                    .push_str(": keywords are lower case, write 'and'");
            }
            return Err(err);
        }
        self.space()?;
        let upper = self.value()?;
        let upper_inclusive = if self.eat_lit(")") {
            false
        } else {
            self.eat_lit("]");
            true
        };
        Ok(Condition::Between {
            not,
            lower_inclusive,
            lower,
            upper,
            upper_inclusive,
        })
    }

    fn metric_check(&mut self) -> Result<MetricLine, SyntaxError> {
        let prefix = if self.eat_lit("change") {
            self.space()?;
            let mut cot = ChangeOverTime {
                last_measurements: None,
                last_aggregation: None,
                same_day_last_week: false,
                percent: false,
            };
            if let Some(Token {
                kind: Kind::Lit(agg @ ("avg" | "min" | "max")),
                ..
            }) = self.peek()
            {
                let agg = (*agg).to_owned();
                self.pos += 1;
                self.space()?;
                self.expect_lit("last").map_err(|mut e| {
                    e.message
                        .push_str(": write 'change avg last 7 for <metric>'");
                    e
                })?;
                self.space()?;
                let n = self
                    .digits()
                    .ok_or_else(|| self.error("a whole number of measurements"))?;
                cot.last_measurements = n.parse().ok();
                cot.last_aggregation = Some(agg);
                self.space()?;
            } else if self.eat_lit("same day last week") {
                cot.same_day_last_week = true;
                self.space()?;
            }
            if self.eat_lit("percent") {
                cot.percent = true;
                self.space()?;
            }
            if !self.eat_lit("for") {
                let mut err = self.error("'for'");
                if self.is_lit("last") {
                    err.message.push_str(
                        ": an aggregation comes first, e.g. 'change avg last 7 for row_count'",
                    );
                } else if self.peek().is_some_and(|t| t.text == "percentage") {
                    err.message.push_str(": write 'change percent for'");
                } else {
                    err.message
                        .push_str(": write 'change [avg|min|max last N] [percent] for <metric>'");
                }
                return Err(err);
            }
            self.space()?;
            Some(Prefix::Change(cot))
        } else if self.eat_lit("anomaly score for ") {
            Some(Prefix::AnomalyScore)
        } else if self.eat_lit("anomaly detection for ") {
            Some(Prefix::AnomalyDetection)
        } else {
            None
        };
        let metric_at = self.at();
        let metric = self.identifier("a metric name such as row_count or missing_count(column)")?;
        let mut args = Vec::new();
        if self.eat_lit("(") {
            loop {
                if let Some(n) = self.signed_number() {
                    args.push(Arg::Number(n));
                } else {
                    args.push(Arg::Ident(self.identifier("a column name")?));
                }
                if self.eat_lit(")") {
                    break;
                }
                if !self.eat_lit(",") {
                    return Err(self.error("',' or ')' after an argument"));
                }
                self.space().map_err(|mut e| {
                    e.message = "expected one space after ','".to_owned();
                    e
                })?;
            }
        }
        let mut threshold = None;
        if self.peek().is_some() {
            self.space()?;
            if self.is_lit("<")
                && matches!(
                    self.peek_at(1),
                    Some(Token {
                        kind: Kind::Space,
                        ..
                    })
                )
                && matches!(
                    self.peek_at(2),
                    Some(Token {
                        kind: Kind::Lit("default"),
                        ..
                    })
                )
            {
                self.pos += 3;
                threshold = Some(LineThreshold::Default);
            } else {
                threshold = Some(LineThreshold::Condition(self.threshold()?));
            }
        }
        self.end()?;
        Ok(MetricLine {
            prefix,
            metric,
            metric_at,
            args,
            threshold,
        })
    }

    fn column_list(&mut self) -> Result<Vec<String>, SyntaxError> {
        if self.eat_lit("(") {
            let mut cols = vec![self.identifier("a column name")?];
            while self.eat_lit(",") {
                self.space()?;
                cols.push(self.identifier("a column name")?);
            }
            self.expect_lit(")")?;
            Ok(cols)
        } else {
            Ok(vec![self.identifier("a column name")?])
        }
    }

    fn check(&mut self) -> Result<CheckLine, SyntaxError> {
        if self.eat_lit("row_count same as") {
            self.space()?;
            let other_dataset = self.identifier("the dataset to compare with")?;
            let mut other_partition = None;
            let mut other_data_source = None;
            if self.is_space() {
                self.space()?;
                if self.eat_lit("in") {
                    self.space()?;
                    other_data_source = Some(self.identifier("a data source name")?);
                } else {
                    other_partition = Some(strip_brackets(&self.identifier("a filter name")?));
                    if self.is_space() {
                        self.space()?;
                        self.expect_lit("in")?;
                        self.space()?;
                        other_data_source = Some(self.identifier("a data source name")?);
                    }
                }
            }
            self.end()?;
            return Ok(CheckLine::RowCountComparison {
                other_dataset,
                other_partition,
                other_data_source,
            });
        }
        if self.eat_lit("values in") {
            self.space()?;
            let source_columns = self.column_list()?;
            self.space()?;
            self.expect_lit("must")?;
            self.space()?;
            let must_not_exist = self.eat_lit("not");
            if must_not_exist {
                self.space()?;
            }
            self.expect_lit("exist in")?;
            self.space()?;
            let target_dataset = self.identifier("the referenced dataset")?;
            self.space().map_err(|mut e| {
                e.message = format!(
                    "{}: a reference check names the dataset and then its column, e.g. 'must exist in carriers code'",
                    e.message
                );
                e
            })?;
            let target_columns = self.column_list()?;
            self.end()?;
            return Ok(CheckLine::Reference {
                source_columns,
                must_not_exist,
                target_dataset,
                target_columns,
            });
        }
        if self.eat_lit("freshness using") {
            self.space()?;
            let column = self.identifier("a column name")?;
            let mut variable = None;
            let mut threshold = None;
            if self.is_space()
                && matches!(
                    self.peek_at(1),
                    Some(Token {
                        kind: Kind::Lit("with"),
                        ..
                    })
                )
            {
                self.pos += 2;
                self.space()?;
                variable = Some(self.identifier("a variable name")?);
            }
            if self.is_space() {
                self.space()?;
                self.expect_lit("<")?;
                self.space()?;
                threshold = Some(self.value()?);
            }
            self.end()?;
            return Ok(CheckLine::FreshnessUsing {
                column,
                variable,
                threshold,
            });
        }
        Ok(CheckLine::Metric(self.metric_check()?))
    }

    fn header(&mut self) -> Result<Header, SyntaxError> {
        if self.eat_lit("checks for") {
            self.space()?;
            let dataset = self.identifier("a dataset name")?;
            let mut partition = None;
            if self.peek().is_some() {
                self.space()?;
                partition = Some(strip_brackets(
                    &self.identifier("a filter name in [brackets]")?,
                ));
            }
            self.end()?;
            return Ok(Header::Checks { dataset, partition });
        }
        if self.eat_lit("filter") {
            self.space()?;
            let dataset = self.identifier("a dataset name")?;
            self.space()?;
            let partition = strip_brackets(&self.identifier("a filter name in [brackets]")?);
            self.end()?;
            return Ok(Header::Filter { dataset, partition });
        }
        if self.eat_lit("configurations for") {
            self.space()?;
            let dataset = self.identifier("a dataset name")?;
            self.end()?;
            return Ok(Header::Configurations { dataset });
        }
        if self.eat_lit("for each dataset") || self.eat_lit("for each table") {
            self.space()?;
            let alias = self.identifier("an alias name")?;
            self.end()?;
            return Ok(Header::ForEachDataset { alias });
        }
        if self.eat_lit("for each column") {
            self.space()?;
            let alias = self.identifier("an alias name")?;
            self.end()?;
            return Ok(Header::ForEachColumn { alias });
        }
        Err(self.error(
            "a section header: 'checks for DATASET', 'filter DATASET [NAME]', 'configurations for DATASET', 'for each dataset ALIAS', 'variables', 'checks'",
        ))
    }
}

fn comparator_text(c: Comparator) -> &'static str {
    match c {
        Comparator::Lt => "<",
        Comparator::Lte => "<=",
        Comparator::Eq => "=",
        Comparator::Gte => ">=",
        Comparator::Gt => ">",
        Comparator::Ne => "!=",
    }
}

fn strip_brackets(s: &str) -> String {
    s.strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s)
        .to_owned()
}

/// `1d2h30m` → seconds; `None` unless the whole text is made of `<digits><d|h|m>` units.
pub fn duration_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut digits = String::new();
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            _ => return None,
        };
        let n: f64 = digits.parse().ok()?;
        total += n * unit;
        digits.clear();
        any = true;
    }
    (any && digits.is_empty()).then_some(total)
}

/// Parses a check line (the text of a check list item).
pub fn parse_check(line: &str) -> Result<CheckLine, SyntaxError> {
    P::new(line)?.check()
}

/// Parses the condition after `when ` in a `warn:` / `fail:` configuration.
///
/// Soda Core's grammar rule for these conditions does not end at the end of the text: words
/// after a complete condition are silently ignored (`when between 1 and 5 and 6` means
/// `between 1 and 5`). The condition comes back with the position of such ignored text.
pub fn parse_condition(text: &str) -> Result<(Condition, Option<usize>), SyntaxError> {
    let mut p = P::new(text)?;
    let c = p.threshold()?;
    let ignored = p.peek().map(|t| t.at);
    Ok((c, ignored))
}

/// Parses a section header (other than the fixed ones: `checks`, `variables`, …).
pub fn parse_header(text: &str) -> Result<Header, SyntaxError> {
    P::new(text)?.header()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn metric(line: &str) -> MetricLine {
        match parse_check(line).unwrap() {
            CheckLine::Metric(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn metric_lines() {
        let m = metric("row_count > 0");
        assert_eq!(m.metric, "row_count");
        assert_eq!(
            m.threshold,
            Some(LineThreshold::Condition(Condition::Compare(
                Comparator::Gt,
                Value::Number(0.0)
            )))
        );
        let m = metric("duplicate_count(a, b) between -1.5 and 5. %");
        assert_eq!(m.args, vec![Arg::Ident("a".into()), Arg::Ident("b".into())]);
        let m = metric("percentile(distance, 0.95) > .5");
        assert_eq!(m.args[1], Arg::Number(0.95));
        let m = metric("freshness(shipped_at) < 1d");
        assert_eq!(
            m.threshold,
            Some(LineThreshold::Condition(Condition::Compare(
                Comparator::Lt,
                Value::Duration(86_400.0)
            )))
        );
        let m = metric("freshness(shipped_at) < 1d2h");
        assert!(matches!(
            m.threshold,
            Some(LineThreshold::Condition(Condition::Compare(_, Value::Duration(s)))) if s == 93_600.0
        ));
        let m = metric("change avg last 7 percent for row_count between (1 and 5]");
        assert!(matches!(
            m.prefix,
            Some(Prefix::Change(ChangeOverTime {
                percent: true,
                last_measurements: Some(7),
                ..
            }))
        ));
        let m = metric("anomaly score for row_count < default");
        assert_eq!(m.threshold, Some(LineThreshold::Default));
        let m = metric("avg(\"Weight kg\") > ${MIN}");
        assert_eq!(m.args, vec![Arg::Ident("\"Weight kg\"".into())]);
    }

    #[test]
    fn other_lines() {
        assert!(matches!(
            parse_check("values in (a, b) must not exist in carriers (c, e)").unwrap(),
            CheckLine::Reference {
                must_not_exist: true,
                ..
            }
        ));
        assert!(matches!(
            parse_check("row_count same as other [recent] in ds").unwrap(),
            CheckLine::RowCountComparison { other_partition: Some(p), .. } if p == "recent"
        ));
    }

    #[test]
    fn errors() {
        for bad in [
            "row_count>0",
            "row_count  > 0",
            "row_count > 0 ",
            "row_count => 0",
            "row_count BETWEEN 1 AND 2",
            "change last 7 for row_count > 1",
            "missing_count( a) = 0",
            "f() > 1",
            "values in carrier_code must exist in carriers.code",
            "row_count > 1.5d",
            "row_count > '5'",
        ] {
            assert!(parse_check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("checks for shipments [recent]").unwrap(),
            Header::Checks {
                dataset: "shipments".into(),
                partition: Some("recent".into())
            }
        );
        assert!(parse_header("check for shipments").is_err());
        assert!(parse_header("checks for a b c").is_err());
        assert!(parse_header("filter shipments").is_err());
    }
}
