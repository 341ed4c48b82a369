//! The recursive-descent parser over the lexer's tokens, one method per grammar rule.

use super::lexer::{Kind, Token, lex};
use super::syntax::*;
use super::{SyntaxError, duration_seconds};

pub(super) struct P {
    tokens: Vec<Token>,
    pos: usize,
    len: usize,
}

pub(super) fn describe(tok: Option<&Token>) -> String {
    match tok {
        None => "the end of the line".to_owned(),
        Some(t) if t.kind == Kind::Space => "a space".to_owned(),
        Some(t) => format!("'{}'", t.text),
    }
}

impl P {
    pub(super) fn new(text: &str) -> Result<Self, SyntaxError> {
        Ok(P {
            tokens: lex(text)?,
            pos: 0,
            len: text.chars().count(),
        })
    }

    pub(super) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<&Token> {
        self.tokens.get(self.pos + n)
    }

    pub(super) fn at(&self) -> usize {
        self.peek().map_or(self.len, |t| t.at)
    }

    pub(super) fn is_lit(&self, lit: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: Kind::Lit(l), .. }) if *l == lit)
    }

    pub(super) fn eat_lit(&mut self, lit: &str) -> bool {
        if self.is_lit(lit) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn error(&self, expected: &str) -> SyntaxError {
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

    pub(super) fn expect_lit(&mut self, lit: &str) -> Result<(), SyntaxError> {
        if self.eat_lit(lit) {
            Ok(())
        } else {
            Err(self.error(&format!("'{lit}'")))
        }
    }

    pub(super) fn space(&mut self) -> Result<(), SyntaxError> {
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

    pub(super) fn is_space(&self) -> bool {
        matches!(
            self.peek(),
            Some(Token {
                kind: Kind::Space,
                ..
            })
        )
    }

    pub(super) fn end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("the end of the check")),
        }
    }

    /// identifier: unquoted, "quoted", `backticked`, [bracketed], or avg/min/max.
    pub(super) fn identifier(&mut self, what: &str) -> Result<String, SyntaxError> {
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

    pub(super) fn digits(&mut self) -> Option<String> {
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
    pub(super) fn signed_number(&mut self) -> Option<f64> {
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

    pub(super) fn value(&mut self) -> Result<Value, SyntaxError> {
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

    pub(super) fn comparator(&mut self) -> Option<Comparator> {
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

    pub(super) fn threshold(&mut self) -> Result<Condition, SyntaxError> {
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
                } else if crate::sodacl::catalogue::distance(&lower, "between") <= 2 {
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

    pub(super) fn metric_check(&mut self) -> Result<MetricLine, SyntaxError> {
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

    pub(super) fn column_list(&mut self) -> Result<Vec<String>, SyntaxError> {
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

    pub(super) fn check(&mut self) -> Result<CheckLine, SyntaxError> {
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

    pub(super) fn header(&mut self) -> Result<Header, SyntaxError> {
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

pub(super) fn comparator_text(c: Comparator) -> &'static str {
    match c {
        Comparator::Lt => "<",
        Comparator::Lte => "<=",
        Comparator::Eq => "=",
        Comparator::Gte => ">=",
        Comparator::Gt => ">",
        Comparator::Ne => "!=",
    }
}

pub(super) fn strip_brackets(s: &str) -> String {
    s.strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s)
        .to_owned()
}
