//! The lexer: longest match over the literal tokens, identifiers, numbers and spaces, as
//! ANTLR's lexer does for `SodaCLAntlr.g4`.

use super::SyntaxError;

/// Literal tokens, in the lexer's rule order (a tie in length goes to the earlier rule).
pub(super) const LITERALS: &[&str] = &[
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
pub(super) enum Kind {
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
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) text: String,
    /// Character offset in the line.
    pub(super) at: usize,
}

pub(super) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

pub(super) fn is_ident_char(c: char) -> bool {
    !matches!(c, ' ' | '<' | '=' | '>' | '(' | ')' | '[' | ']' | ',')
}

/// Length in chars of the longest unquoted identifier at the start of `s`.
pub(super) fn unquoted_ident_len(s: &[char]) -> usize {
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

pub(super) fn quoted_len(s: &[char], open: char, close: char) -> usize {
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

pub(super) fn square_ident_len(s: &[char]) -> usize {
    if s.first() != Some(&'[') || !s.get(1).is_some_and(|c| is_ident_start(*c)) {
        return 0;
    }
    match s.iter().position(|c| *c == ']') {
        Some(end) => end + 1,
        None => 0,
    }
}

pub(super) fn time_unit_len(s: &[char]) -> usize {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && matches!(s.get(digits), Some('d' | 'h' | 'm')) {
        digits + 1
    } else {
        0
    }
}

pub(super) fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
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
