//! Organization inputs that shape how the connector talks to Okta (the ones that shape what a
//! sync reads live with the sync run: `system_log_start_date`, `full_reconciliation_days`).

use serde_json::Value;

use super::Error;

/// The input naming the admin's ceiling on the connector's requests per minute across Okta's
/// buckets (optional: Okta enforces each bucket on its own and has no org-wide limit).
pub const ORG_RATE_LIMIT: &str = "org_rate_limit_per_minute";

/// The range accepted: from a trickle to far beyond any org's bucket limits.
const RANGE: std::ops::RangeInclusive<u64> = 100..=10_000_000;

/// What `org_rate_limit_per_minute` should hold.
const WANT: &str = "a whole number of requests per minute from 100 to 10000000 (the most the connector may send \
                    across all of Okta's rate-limit buckets, or empty for no such ceiling)";

/// Reads `org_rate_limit_per_minute` (a number or a numeric string; empty: `None`, no ceiling
/// across buckets: each bucket is paced on its own headers).
pub fn org_rate_limit(v: Option<&Value>) -> Result<Option<u64>, Error> {
    whole_number(ORG_RATE_LIMIT, v, RANGE, WANT)
}

/// Reads a whole-number organization input: a number or a numeric string within `range`;
/// absent, null or blank is `None`; anything else an error naming `input` and what it should
/// hold (`want`).
pub fn whole_number(
    input: &'static str,
    v: Option<&Value>,
    range: std::ops::RangeInclusive<u64>,
    want: &'static str,
) -> Result<Option<u64>, Error> {
    let bad = |raw: String| Error::BadInput { input, value: raw, want };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok().filter(|n| range.contains(n)).map(Some).ok_or_else(|| bad(s.clone())),
        Some(Value::Number(n)) => n.as_u64().filter(|n| range.contains(n)).map(Some).ok_or_else(|| bad(n.to_string())),
        Some(other) => Err(bad(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_org_rate_limit_is_checked() {
        assert_eq!(org_rate_limit(None).unwrap(), None);
        assert_eq!(org_rate_limit(Some(&json!(""))).unwrap(), None);
        assert_eq!(org_rate_limit(Some(&json!(" 20000 "))).unwrap(), Some(20_000));
        assert_eq!(org_rate_limit(Some(&json!(7000))).unwrap(), Some(7000));
        for bad in [json!("fast"), json!("-5"), json!("99"), json!(1.5), json!("20000000"), json!(true)] {
            let e = org_rate_limit(Some(&bad)).unwrap_err().to_string();
            assert!(e.contains(ORG_RATE_LIMIT) && e.contains("requests per minute"), "{bad}: {e}");
        }
    }
}
