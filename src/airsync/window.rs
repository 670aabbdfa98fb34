//! Extraction time windows (ts-adaas `src/common/time-value-resolver.ts`): `TimeValue` resolution on metadata start
//! and the window roll-forward when the attachments phase ends.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::artifacts::iso_millis;
use super::state::WorkerState;

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

/// A time value that cannot be resolved (the platform sent something this worker cannot use).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// A duration without a unit, number or known unit.
    #[error("window `{value}` {problem}")]
    BadDuration {
        /// The duration as sent.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A timestamp that is not RFC 3339.
    #[error("`{0}` is not an RFC 3339 timestamp")]
    BadTimestamp(String),
    /// `workers_newest` with no earlier sync.
    #[error("workers_newest has no previous sync to refer to")]
    NoPreviousSync,
    /// A `type` this worker does not know.
    #[error("unknown time value type `{0}`")]
    UnknownType(String),
    /// The window is empty or reversed.
    #[error("extract_from ({from}) is not before extract_to ({to})")]
    Reversed {
        /// The start.
        from: String,
        /// The end.
        to: String,
    },
}

fn bad_duration(value: &str, problem: impl Into<String>) -> WindowError {
    WindowError::BadDuration { value: value.into(), problem: problem.into() }
}

fn normalize(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| iso_millis(&d.with_timezone(&Utc)))
}

/// Parses a window duration such as `5m`, `1.5h` or `300ms`.
pub fn parse_window(s: &str) -> Result<Duration, WindowError> {
    let split =
        s.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| bad_duration(s, "has no unit (use ns, us, ms, s, m or h)"))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad_duration(s, "does not start with a number"))?;
    let ms = match unit {
        "ns" => n / 1e6,
        "us" | "µs" => n / 1e3,
        "ms" => n,
        // The SDK applies s/m/h through setUTCSeconds/Minutes/Hours, which truncate.
        "s" => n.trunc() * 1e3,
        "m" => n.trunc() * 60e3,
        "h" => n.trunc() * 3600e3,
        _ => return Err(bad_duration(s, format!("has an unknown unit `{unit}`"))),
    };
    // Durations beyond what a timestamp can hold are refused, not saturated or wrapped.
    Duration::try_milliseconds(ms.trunc() as i64).filter(|_| ms.is_finite() && ms < 1e17).ok_or_else(|| bad_duration(s, "is too long"))
}

/// Resolves one `TimeValue` against the state; `Ok(None)` when the value is absent.
pub fn resolve(tv: Option<&Value>, state: &WorkerState, now: DateTime<Utc>) -> Result<Option<String>, WindowError> {
    let Some(tv) = tv.filter(|v| v.is_object()) else { return Ok(None) };
    let kind = tv.get("type").and_then(Value::as_str).unwrap_or("");
    let value = tv.get("value").and_then(Value::as_str).unwrap_or("");
    let shift = |base: &str, sign: i64| -> Result<String, WindowError> {
        let d = parse_window(value)?;
        let t = DateTime::parse_from_rfc3339(base).map_err(|_| WindowError::BadTimestamp(base.into()))?.with_timezone(&Utc);
        let shifted = if sign < 0 { t.checked_sub_signed(d) } else { t.checked_add_signed(d) };
        let shifted = shifted.ok_or_else(|| bad_duration(value, format!("moves {base} out of the representable time range")))?;
        Ok(iso_millis(&shifted))
    };
    let newest = || -> Result<String, WindowError> {
        let n = state.get_str("workersNewest");
        let n = if n.is_empty() { state.get_str("lastSuccessfulSyncStarted") } else { n };
        if n.is_empty() {
            Err(WindowError::NoPreviousSync)
        } else {
            Ok(n.to_string())
        }
    };
    let out = match kind {
        "absolute_time" => normalize(value).ok_or_else(|| WindowError::BadTimestamp(value.into()))?,
        "current_time" => iso_millis(&now),
        "unbounded" => EPOCH.to_string(),
        "workers_oldest" => Some(state.get_str("workersOldest")).filter(|s| !s.is_empty()).unwrap_or(EPOCH).to_string(),
        // As ts-adaas: the duration must parse, and without a previous oldest bound the start
        // is the epoch itself, not the epoch less the window.
        "workers_oldest_minus_window" => {
            parse_window(value)?;
            match state.get_str("workersOldest") {
                "" => EPOCH.to_string(),
                o => shift(o, -1)?,
            }
        }
        "workers_newest" => newest()?,
        "workers_newest_plus_window" => {
            let wn = state.get_str("workersNewest");
            if wn.is_empty() {
                newest()?
            } else {
                shift(wn, 1)?
            }
        }
        other => return Err(WindowError::UnknownType(other.into())),
    };
    Ok(Some(out))
}

/// Rolls the window forward when the attachments phase completes (§4.3).
pub fn roll_forward(state: &mut WorkerState, extract_from: Option<&str>, extract_to: Option<&str>) {
    let started = state.get_str("lastSyncStarted").to_string();
    state.set_str("lastSuccessfulSyncStarted", &started);
    state.set_str("lastSyncStarted", "");
    state.set_str("pendingWorkersOldest", "");
    state.set_str("pendingWorkersNewest", "");
    if let Some(f) = extract_from.and_then(normalize) {
        let o = state.get_str("workersOldest").to_string();
        if o.is_empty() || f < o {
            state.set_str("workersOldest", &f);
        }
    }
    if let Some(t) = extract_to.and_then(normalize) {
        let n = state.get_str("workersNewest").to_string();
        if n.is_empty() || t > n {
            state.set_str("workersNewest", &t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_sdk_grammar() {
        assert_eq!(parse_window("5m").unwrap(), Duration::minutes(5));
        assert_eq!(parse_window("1.5h").unwrap(), Duration::hours(1));
        assert_eq!(parse_window("250ms").unwrap(), Duration::milliseconds(250));
        assert!(parse_window("1h30m").is_err());
        assert!(parse_window("3d").is_err());
    }

    #[test]
    fn workers_oldest_minus_window_without_a_previous_sync_is_the_epoch() {
        let tv = serde_json::json!({"type": "workers_oldest_minus_window", "value": "5m"});
        let mut s = WorkerState::fresh("x");
        assert_eq!(resolve(Some(&tv), &s, Utc::now()).unwrap().unwrap(), EPOCH, "ts-adaas gives the epoch itself, not 1969");
        s.set_str("workersOldest", "2024-01-01T00:00:00.000Z");
        assert_eq!(resolve(Some(&tv), &s, Utc::now()).unwrap().unwrap(), "2023-12-31T23:55:00.000Z");
        let no_value = serde_json::json!({"type": "workers_oldest_minus_window"});
        assert!(resolve(Some(&no_value), &WorkerState::fresh("x"), Utc::now()).is_err(), "ts-adaas requires the duration first");
    }

    #[test]
    fn workers_newest_needs_a_previous_sync() {
        let s = WorkerState::fresh("x");
        let tv = serde_json::json!({"type": "workers_newest"});
        assert!(resolve(Some(&tv), &s, Utc::now()).is_err());
        let tv = serde_json::json!({"type": "absolute_time", "value": "2024-01-01T00:00:00Z"});
        assert_eq!(resolve(Some(&tv), &s, Utc::now()).unwrap().unwrap(), "2024-01-01T00:00:00.000Z");
    }
}
