//! ECS's cluster query language, used by `memberOf` constraints
//! (`attribute:ecs.instance-type =~ t2.* and not(attribute:ecs.availability-zone == us-east-1d)`).
//! Errors carry the 1-based column inside the expression.

use std::fmt;

use crate::cluster::{Cluster, ContainerInstance};

#[derive(Clone, Debug)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Pred(Pred),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Attribute(String),
    AgentConnected,
    Ec2InstanceId,
    RunningTasksCount,
    TaskGroup,
    AgentVersion,
    RegisteredAt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Exists,
    NotExists,
    In,
    NotIn,
    Matches,
    NotMatches,
}

#[derive(Clone, Debug)]
pub enum Arg {
    None,
    Value(String),
    List(Vec<String>),
    Regex(regex::Regex),
    /// A registeredAt argument, as milliseconds since the Unix epoch.
    Time(i64),
}

#[derive(Clone, Debug)]
pub struct Pred {
    pub subject: Subject,
    pub op: Op,
    pub arg: Arg,
}

impl PartialEq for Expr {
    /// Structural equality is only needed for tests and scenario comparison: compare the text form.
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based column in the expression.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Bang,
    AndAnd,
    OrOr,
    Op(Op),
    Word(String),
    Quoted(String),
}

fn tokenize(s: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let special = |c: char| "()[],!=<>~&|'\"".contains(c) || c.is_whitespace();
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        let next = chars.get(i + 1).copied();
        let two = |a: char, b: char| c == a && next == Some(b);
        let (tok, len) = if c.is_whitespace() {
            i += 1;
            continue;
        } else if two('=', '=') {
            (Tok::Op(Op::Eq), 2)
        } else if two('!', '=') {
            (Tok::Op(Op::Ne), 2)
        } else if two('>', '=') {
            (Tok::Op(Op::Ge), 2)
        } else if two('<', '=') {
            (Tok::Op(Op::Le), 2)
        } else if two('=', '~') {
            (Tok::Op(Op::Matches), 2)
        } else if two('!', '~') {
            (Tok::Op(Op::NotMatches), 2)
        } else if two('&', '&') {
            (Tok::AndAnd, 2)
        } else if two('|', '|') {
            (Tok::OrOr, 2)
        } else if c == '>' {
            (Tok::Op(Op::Gt), 1)
        } else if c == '<' {
            (Tok::Op(Op::Lt), 1)
        } else if c == '!' {
            (Tok::Bang, 1)
        } else if c == '(' {
            (Tok::LParen, 1)
        } else if c == ')' {
            (Tok::RParen, 1)
        } else if c == '[' {
            (Tok::LBracket, 1)
        } else if c == ']' {
            (Tok::RBracket, 1)
        } else if c == ',' {
            (Tok::Comma, 1)
        } else if c == '\'' || c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .ok_or(QueryError { column: col, message: "unterminated quoted value".into() })?;
            let text: String = chars[i + 1..i + 1 + end].iter().collect();
            (Tok::Quoted(text), end + 2)
        } else if "=&|~".contains(c) {
            return Err(QueryError { column: col, message: format!("unexpected {c:?}") });
        } else {
            let len = chars[i..].iter().take_while(|&&d| !special(d)).count();
            (Tok::Word(chars[i..i + len].iter().collect()), len)
        };
        out.push((col, tok));
        i += len;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end_col: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |(c, _)| *c)
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, QueryError> {
        Err(QueryError { column: self.col(), message: message.into() })
    }
    fn word_is(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some(Tok::OrOr)) || self.word_is("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        while matches!(self.peek(), Some(Tok::AndAnd)) || self.word_is("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if matches!(self.peek(), Some(Tok::Bang)) || self.word_is("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if matches!(self.peek(), Some(Tok::LParen)) {
            self.pos += 1;
            let e = self.or()?;
            if !matches!(self.peek(), Some(Tok::RParen)) {
                return self.err("expected `)`");
            }
            self.pos += 1;
            return Ok(e);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, QueryError> {
        let subject = match self.peek() {
            Some(Tok::Word(w)) => {
                let s = if let Some(name) = w.strip_prefix("attribute:") {
                    if name.is_empty() {
                        return self.err("expected an attribute name after `attribute:`");
                    }
                    Subject::Attribute(name.to_string())
                } else {
                    match w.as_str() {
                        "agentConnected" => Subject::AgentConnected,
                        "ec2InstanceId" => Subject::Ec2InstanceId,
                        "runningTasksCount" => Subject::RunningTasksCount,
                        "task:group" => Subject::TaskGroup,
                        "agentVersion" => Subject::AgentVersion,
                        "registeredAt" => Subject::RegisteredAt,
                        _ => {
                            return self.err(format!(
                                "expected a subject (attribute:NAME, agentConnected, ec2InstanceId, runningTasksCount or task:group), found `{w}`"
                            ));
                        }
                    }
                };
                self.pos += 1;
                s
            }
            Some(t) => return self.err(format!("expected a subject, found {t:?}")),
            None => return self.err("expected a subject, found the end of the expression"),
        };
        let op = match self.peek().cloned() {
            Some(Tok::Op(op)) => op,
            Some(Tok::Bang) => {
                self.pos += 1;
                match self.peek() {
                    Some(Tok::Word(w)) if w == "in" => Op::NotIn,
                    Some(Tok::Word(w)) if w == "exists" => Op::NotExists,
                    _ => return self.err("expected `in` or `exists` after `!`"),
                }
            }
            Some(Tok::Word(w)) => match w.as_str() {
                "equals" => Op::Eq,
                "not_equals" => Op::Ne,
                "greater_than" => Op::Gt,
                "greater_than_equal" => Op::Ge,
                "less_than" => Op::Lt,
                "less_than_equal" => Op::Le,
                "exists" => Op::Exists,
                "not_exists" => Op::NotExists,
                "in" => Op::In,
                "not_in" => Op::NotIn,
                "matches" => Op::Matches,
                "not_matches" => Op::NotMatches,
                _ => return self.err(format!("expected an operator such as ==, !=, in or =~, found `{w}`")),
            },
            _ => return self.err("expected an operator such as ==, !=, in or =~"),
        };
        self.pos += 1;
        let arg = match op {
            Op::Exists | Op::NotExists => Arg::None,
            Op::In | Op::NotIn => Arg::List(self.list()?),
            Op::Matches | Op::NotMatches => {
                let col = self.col();
                let pat = self.value()?;
                match regex::Regex::new(&format!("^(?:{pat})$")) {
                    Ok(r) => Arg::Regex(r),
                    Err(e) => {
                        return Err(QueryError { column: col, message: format!("invalid regular expression: {e}") });
                    }
                }
            }
            _ if subject == Subject::RegisteredAt => {
                let col = self.col();
                let v = self.value()?;
                match parse_date(&v) {
                    Some(ms) => Arg::Time(ms),
                    None => {
                        return Err(QueryError {
                            column: col,
                            message: format!(
                                "expected a date like 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18, found {v:?}"
                            ),
                        });
                    }
                }
            }
            _ => Arg::Value(self.value()?),
        };
        Ok(Expr::Pred(Pred { subject, op, arg }))
    }

    fn value(&mut self) -> Result<String, QueryError> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => {
                self.pos += 1;
                Ok(w)
            }
            _ => self.err("expected a value"),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, QueryError> {
        if !matches!(self.peek(), Some(Tok::LBracket)) {
            return self.err("expected a list like [a, b]");
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            items.push(self.value()?);
            match self.peek() {
                Some(Tok::Comma) => self.pos += 1,
                Some(Tok::RBracket) => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return self.err("expected `,` or `]`"),
            }
        }
    }
}

pub fn parse(expression: &str) -> Result<Expr, QueryError> {
    let toks = tokenize(expression)?;
    let mut p = Parser { toks, pos: 0, end_col: expression.chars().count() + 1 };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return p.err("unexpected text after the end of the expression");
    }
    Ok(e)
}

/// registeredAt formats ECS accepts: RFC 3339 with an offset or `Z`, no zone (UTC), or a date.
pub fn parse_date(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc().timestamp_millis());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// Dotted versions compare part by part as numbers (1.9.0 < 1.14.5).
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| s.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    parts(a).cmp(&parts(b))
}

fn compare(actual: &str, wanted: &str) -> std::cmp::Ordering {
    match (actual.parse::<f64>(), wanted.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.total_cmp(&b),
        _ => actual.cmp(wanted),
    }
}

impl Expr {
    pub fn matches(&self, ci: &ContainerInstance, cluster: &Cluster) -> bool {
        match self {
            Expr::And(a, b) => a.matches(ci, cluster) && b.matches(ci, cluster),
            Expr::Or(a, b) => a.matches(ci, cluster) || b.matches(ci, cluster),
            Expr::Not(e) => !e.matches(ci, cluster),
            Expr::Pred(p) => p.matches(ci, cluster),
        }
    }
}

impl Pred {
    fn matches(&self, ci: &ContainerInstance, cluster: &Cluster) -> bool {
        if self.subject == Subject::TaskGroup {
            let has = |g: &str| cluster.task_group_id(g).is_some_and(|id| ci.group_task_count(id) > 0);
            return match (&self.op, &self.arg) {
                (Op::Eq, Arg::Value(g)) => has(g),
                (Op::Ne, Arg::Value(g)) => !has(g),
                (Op::In, Arg::List(gs)) => gs.iter().any(|g| has(g)),
                (Op::NotIn, Arg::List(gs)) => !gs.iter().any(|g| has(g)),
                (Op::Exists, _) => ci.running_tasks_count() > 0,
                (Op::NotExists, _) => ci.running_tasks_count() == 0,
                (Op::Matches, Arg::Regex(r)) => {
                    ci.group_task_counts.iter().any(|(g, _)| r.is_match(&cluster.task_groups[g.index()]))
                }
                (Op::NotMatches, Arg::Regex(r)) => {
                    !ci.group_task_counts.iter().any(|(g, _)| r.is_match(&cluster.task_groups[g.index()]))
                }
                _ => false,
            };
        }
        use std::cmp::Ordering::*;
        let ordered = |o: std::cmp::Ordering| match self.op {
            Op::Eq => o == Equal,
            Op::Ne => o != Equal,
            Op::Gt => o == Greater,
            Op::Ge => o != Less,
            Op::Lt => o == Less,
            Op::Le => o != Greater,
            _ => false,
        };
        match (&self.subject, &self.arg) {
            (Subject::RegisteredAt, Arg::Time(t)) => {
                return ordered((cluster.start_epoch_ms + ci.registered_at.0 as i64).cmp(t));
            }
            (Subject::AgentVersion, Arg::Value(v)) if !matches!(self.op, Op::Exists | Op::NotExists) => {
                return ordered(compare_versions(&cluster.groups[ci.group.index()].agent_version, v));
            }
            _ => {}
        }
        let owned;
        let value: Option<&str> = match &self.subject {
            Subject::Attribute(name) => ci.attribute(name),
            Subject::AgentConnected => Some(if ci.agent_connected { "true" } else { "false" }),
            Subject::Ec2InstanceId => Some(&ci.ec2_instance_id),
            Subject::RunningTasksCount => {
                owned = ci.running_tasks_count().to_string();
                Some(&owned)
            }
            Subject::TaskGroup | Subject::RegisteredAt => None,
            Subject::AgentVersion => Some(&cluster.groups[ci.group.index()].agent_version),
        };
        match (&self.op, &self.arg, value) {
            (Op::Exists, _, v) => v.is_some(),
            (Op::NotExists, _, v) => v.is_none(),
            (Op::Ne, Arg::Value(w), v) => v != Some(w.as_str()),
            (Op::NotIn, Arg::List(ws), v) => v.is_none_or(|v| !ws.iter().any(|w| w == v)),
            (Op::NotMatches, Arg::Regex(r), v) => v.is_none_or(|v| !r.is_match(v)),
            (_, _, None) => false,
            (Op::Eq, Arg::Value(w), Some(v)) => v == w,
            (Op::In, Arg::List(ws), Some(v)) => ws.iter().any(|w| w == v),
            (Op::Matches, Arg::Regex(r), Some(v)) => r.is_match(v),
            (Op::Gt, Arg::Value(w), Some(v)) => compare(v, w) == Greater,
            (Op::Ge, Arg::Value(w), Some(v)) => compare(v, w) != Less,
            (Op::Lt, Arg::Value(w), Some(v)) => compare(v, w) == Less,
            (Op::Le, Arg::Value(w), Some(v)) => compare(v, w) != Greater,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_examples() {
        for e in [
            "attribute:ecs.instance-type == t2.small",
            "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
            "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
            "task:group == service:production",
            "not(task:group == database)",
            "runningTasksCount == 1",
            "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
            "attribute:stack exists",
            "attribute:stack !exists || attribute:role not_in [a,b]",
            "agentVersion < 1.14.5",
            "registeredAt < 2018-02-13",
            "registeredAt >= 2018-06-18T22:28:28+00:00",
            "registeredAt == 2018-06-18T22:28:28Z",
            "registeredAt != 2018-06-18T22:28:28",
        ] {
            parse(e).unwrap_or_else(|err| panic!("{e}: {err}"));
        }
    }

    #[test]
    fn dates_and_versions() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:02"), Some(2000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(compare_versions("1.9.0", "1.14.5"), std::cmp::Ordering::Less);
        let e = parse("registeredAt < last-tuesday").unwrap_err();
        assert_eq!(e.column, 16);
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = parse("attribute:ecs.instance-type === t2.small").unwrap_err();
        assert_eq!(e.column, 31);
        let e = parse("attribute:ecs.availability-zone in [a, b").unwrap_err();
        assert_eq!(e.column, 41, "{e}");
        let e = parse("colour == red").unwrap_err();
        assert_eq!(e.column, 1);
    }
}
