//! The SCIM-like filter/search grammar Okta uses, with per-endpoint allow-lists.
//!
//! `attrPath op value`, `attrPath pr`, `and`/`or`/`not`, parentheses, double-quoted strings with
//! `\"` escapes, true/false/null and numbers. Operators are case-insensitive, attribute names
//! case-sensitive.

use chrono::DateTime;

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// null.
    Null,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `attr op value`.
    Cmp(String, String, Literal),
    /// `attr pr`.
    Present(String),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `not (a)`.
    Not(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::LParen);
            i += 1;
        } else if c == ')' {
            out.push(Tok::RParen);
            i += 1;
        } else if c == '"' {
            let mut v = String::new();
            i += 1;
            loop {
                match cs.get(i) {
                    None => return Err("unterminated string".into()),
                    Some('\\') => {
                        v.push(*cs.get(i + 1).ok_or("dangling escape")?);
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        v.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(v));
        } else {
            let start = i;
            while i < cs.len() && !cs[i].is_whitespace() && cs[i] != '(' && cs[i] != ')' && cs[i] != '"' {
                i += 1;
            }
            out.push(Tok::Word(cs[start..i].iter().collect()));
        }
    }
    Ok(out)
}

const OPS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew"];

/// How deep `(` and `not` may nest, and how many comparisons one filter may hold: a real
/// filter needs a handful, and a recursive parser must not let a URL exhaust its stack.
const MAX_DEPTH: usize = 32;
const MAX_TERMS: usize = 256;

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.i) {
            Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.i += 1;
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        while self.peek_word().as_deref() == Some("and") {
            self.i += 1;
            l = Expr::And(Box::new(l), Box::new(self.unary()?));
        }
        Ok(l)
    }
    fn nest(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the filter nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_word().as_deref() == Some("not") {
            self.i += 1;
            self.nest()?;
            let e = Expr::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(e);
        }
        if self.toks.get(self.i) == Some(&Tok::LParen) {
            self.i += 1;
            self.nest()?;
            let e = self.or()?;
            self.depth -= 1;
            if self.toks.get(self.i) != Some(&Tok::RParen) {
                return Err("missing )".into());
            }
            self.i += 1;
            return Ok(e);
        }
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(format!("the filter has more than {MAX_TERMS} comparisons"));
        }
        let attr = match self.toks.get(self.i) {
            Some(Tok::Word(w)) if w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) => w.clone(),
            other => return Err(format!("expected an attribute, found {other:?}")),
        };
        self.i += 1;
        let op = self.peek_word().ok_or("expected an operator")?;
        self.i += 1;
        if op == "pr" {
            return Ok(Expr::Present(attr));
        }
        if !OPS.contains(&op.as_str()) {
            return Err(format!("unknown operator {op}"));
        }
        let lit = match self.toks.get(self.i) {
            Some(Tok::Str(s)) => Literal::Str(s.clone()),
            Some(Tok::Word(w)) if w == "true" => Literal::Bool(true),
            Some(Tok::Word(w)) if w == "false" => Literal::Bool(false),
            Some(Tok::Word(w)) if w == "null" => Literal::Null,
            Some(Tok::Word(w)) => Literal::Num(w.parse().map_err(|_| format!("bad value {w}"))?),
            _ => return Err("expected a value".into()),
        };
        self.i += 1;
        Ok(Expr::Cmp(attr, op, lit))
    }
}

/// Parses an expression.
pub fn parse(s: &str) -> Result<Expr, String> {
    let mut p = Parser { toks: lex(s)?, i: 0, depth: 0, terms: 0 };
    let e = p.or()?;
    if p.i != p.toks.len() {
        return Err("trailing input".into());
    }
    Ok(e)
}

/// What an endpoint accepts.
pub struct Rules {
    /// Whether an attribute may be used, and with which operator.
    pub allow: fn(&str, &str) -> bool,
    /// Whether `and`/`or` are allowed.
    pub logic: bool,
    /// Whether `not` is allowed.
    pub not: bool,
}

/// Whether `s` is a date literal as Okta's filters take it: `yyyy-MM-dd'T'HH:mm:ss.SSS`
/// followed by `Z` or `±HH:mm` (Okta's E0000030 wording), with milliseconds, and a real date.
pub fn is_okta_date(s: &str) -> bool {
    if !s.is_ascii() || s.len() < 24 {
        return false;
    }
    let (main, zone) = s.split_at(23);
    let shape = |text: &str, pattern: &str| {
        text.len() == pattern.len() && text.bytes().zip(pattern.bytes()).all(|(c, p)| if p == b'9' { c.is_ascii_digit() } else { c == p })
    };
    let zone_ok = zone == "Z" || shape(zone, "+99:99") || shape(zone, "-99:99");
    shape(main, "9999-99-99T99:99:99.999") && zone_ok && DateTime::parse_from_rfc3339(s).is_ok()
}

/// Checks an expression against an endpoint's rules.
pub fn check(e: &Expr, r: &Rules) -> Result<(), String> {
    match e {
        Expr::Cmp(a, op, lit) => {
            if !(r.allow)(a, op) {
                return Err(format!("{a} {op} is not supported here"));
            }
            if let Literal::Str(s) = lit {
                let is_date =
                    matches!(a.as_str(), "lastUpdated" | "created" | "lastMembershipUpdated" | "activated" | "statusChanged" | "published");
                if is_date && !is_okta_date(s) {
                    return Err(format!("Invalid date {s:?}: dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZ"));
                }
            }
            Ok(())
        }
        Expr::Present(a) => {
            if (r.allow)(a, "pr") {
                Ok(())
            } else {
                Err(format!("{a} pr is not supported here"))
            }
        }
        Expr::And(a, b) | Expr::Or(a, b) => {
            if !r.logic {
                return Err("logical operators are not supported here".into());
            }
            check(a, r)?;
            check(b, r)
        }
        Expr::Not(a) => {
            if r.not {
                check(a, r)
            } else {
                Err("not is not supported here".into())
            }
        }
    }
}

/// Evaluates against an attribute getter.
pub fn eval(e: &Expr, get: &dyn Fn(&str) -> Option<Literal>) -> bool {
    match e {
        Expr::Present(a) => get(a).is_some_and(|v| v != Literal::Null),
        Expr::And(a, b) => eval(a, get) && eval(b, get),
        Expr::Or(a, b) => eval(a, get) || eval(b, get),
        Expr::Not(a) => !eval(a, get),
        Expr::Cmp(a, op, lit) => {
            let Some(v) = get(a) else { return op == "ne" };
            cmp(&v, op, lit)
        }
    }
}

fn cmp(v: &Literal, op: &str, lit: &Literal) -> bool {
    use std::cmp::Ordering::*;
    let ord = match (v, lit) {
        (Literal::Str(a), Literal::Str(b)) => {
            let (da, db) = (DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b));
            match (da, db) {
                (Ok(x), Ok(y)) => Some(x.cmp(&y)),
                _ => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            }
        }
        (Literal::Num(a), Literal::Num(b)) => a.partial_cmp(b),
        (Literal::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let s = |f: fn(&str, &str) -> bool| match (v, lit) {
        (Literal::Str(a), Literal::Str(b)) => f(&a.to_lowercase(), &b.to_lowercase()),
        _ => false,
    };
    match op {
        "eq" => ord == Some(Equal),
        "ne" => ord != Some(Equal),
        "gt" => ord == Some(Greater),
        "ge" => matches!(ord, Some(Greater | Equal)),
        "lt" => ord == Some(Less),
        "le" => matches!(ord, Some(Less | Equal)),
        "sw" => s(|a, b| a.starts_with(b)),
        "ew" => s(|a, b| a.ends_with(b)),
        "co" => s(|a, b| a.contains(b)),
        _ => false,
    }
}

fn is_date(a: &str) -> bool {
    matches!(a, "lastUpdated" | "lastMembershipUpdated" | "created")
}

/// `GET /users?filter=`.
pub const USERS_FILTER: Rules = Rules {
    allow: |a, op| match a {
        "lastUpdated" => matches!(op, "eq" | "gt" | "ge" | "lt" | "le"),
        "status" | "id" | "profile.login" | "profile.email" | "profile.firstName" | "profile.lastName" => op == "eq",
        _ => false,
    },
    logic: true,
    not: false,
};

/// `GET /users?search=`.
pub const USERS_SEARCH: Rules = Rules {
    allow: |a, op| {
        let known = a.starts_with("profile.")
            || matches!(a, "id" | "status" | "created" | "activated" | "statusChanged" | "lastUpdated" | "type.id");
        let op_ok = match op {
            "co" => matches!(a, "profile.firstName" | "profile.lastName" | "profile.email" | "profile.login"),
            "ne" | "ew" => false,
            _ => true,
        };
        known && op_ok
    },
    logic: true,
    not: false,
};

/// `GET /groups?filter=`.
pub const GROUPS_FILTER: Rules = Rules {
    allow: |a, op| match a {
        "id" | "type" => op == "eq",
        _ if is_date(a) && a != "created" => matches!(op, "eq" | "gt" | "ge" | "lt" | "le"),
        _ => false,
    },
    logic: true,
    not: false,
};

/// `GET /groups?search=`.
pub const GROUPS_SEARCH: Rules = Rules {
    allow: |a, op| {
        let known =
            a.starts_with("profile.") || matches!(a, "id" | "created" | "lastUpdated" | "lastMembershipUpdated" | "type" | "source.id");
        known && (op != "co" || matches!(a, "profile.name" | "profile.description")) && op != "ne"
    },
    logic: true,
    not: false,
};

/// `GET /apps?filter=`: a single `eq`.
pub const APPS_FILTER: Rules =
    Rules { allow: |a, op| op == "eq" && matches!(a, "status" | "name" | "id" | "user.id" | "group.id"), logic: false, not: false };

/// `GET /devices?search=`.
pub const DEVICES_SEARCH: Rules = Rules {
    allow: |a, op| {
        let known = a.starts_with("profile.") || matches!(a, "id" | "status" | "lastUpdated");
        known && (op != "co" || matches!(a, "profile.displayName" | "profile.serialNumber")) && op != "ne"
    },
    logic: true,
    not: true,
};

/// `GET /logs?filter=`: anything but `published`.
pub const LOGS_FILTER: Rules = Rules { allow: |a, _| a != "published", logic: true, not: true };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_parses_and_enforces_allow_lists() {
        let e = parse(r#"lastUpdated gt "2025-01-01T00:00:00.000Z" or (status eq "ACTIVE" AND profile.login eq "a\"b")"#).unwrap();
        assert!(check(&e, &USERS_FILTER).is_ok());
        assert!(check(&parse(r#"profile.title eq "x""#).unwrap(), &USERS_FILTER).is_err());
        assert!(check(&parse(r#"status ne "ACTIVE""#).unwrap(), &USERS_SEARCH).is_err());
        assert!(check(&parse(r#"lastUpdated gt "yesterday""#).unwrap(), &USERS_FILTER).is_err());
        for bad in [
            "2025-01-01T00:00:00Z",
            "2025-01-01",
            "2025-01-01T00:00:00.0Z",
            "2025-13-01T00:00:00.000Z",
            "2025-01-01 00:00:00.000Z",
            "2025-01-01T00:00:00.000",
            "２025-01-01T00:00:00.000Z",
            "2025-02-30T00:00:00.000Z",
        ] {
            assert!(!is_okta_date(bad), "{bad}");
            assert!(check(&parse(&format!(r#"lastUpdated gt "{bad}""#)).unwrap(), &USERS_FILTER).is_err(), "{bad}");
        }
        for good in ["2025-01-01T00:00:00.000Z", "2025-06-30T23:59:59.999-07:00", "2024-02-29T12:00:00.123+05:30"] {
            assert!(is_okta_date(good), "{good}");
        }
        assert!(check(&parse(r#"status eq "A" and name eq "b""#).unwrap(), &APPS_FILTER).is_err());
        assert!(parse(r#"status eq"#).is_err());
        let get = |a: &str| (a == "status").then(|| Literal::Str("ACTIVE".into()));
        assert!(eval(&parse(r#"status eq "active""#).unwrap(), &get));
        assert!(!eval(&parse(r#"not (status pr)"#).unwrap(), &get));
    }
}
