//! The check-line and section-header grammar of Soda Core 3.5.6 (its ANTLR grammar
//! `SodaCLAntlr.g4`), re-implemented as a longest-match lexer and a recursive-descent parser.
//!
//! The language is whitespace-exact: words are separated by exactly one space, keywords are
//! lower case and reserved. Where ANTLR only says "mismatched input", the errors here say what
//! was expected where, and how to fix it; their offset is the character in the line at fault.
//!
//! - `lexer`: the tokens;
//! - `syntax`: what a parse yields;
//! - `descent`: the parser, one method per rule.

use std::fmt;

mod descent;
mod lexer;
mod syntax;
#[cfg(test)]
mod tests;

use descent::P;
pub use lexer::RESERVED_WORDS;
pub use syntax::*;

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
