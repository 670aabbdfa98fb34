//! How the data phase ended, from every job's result.

use super::job::Job;
use super::jobs::JobFail;
use crate::airsync::extractor::ExtractOutcome;
use crate::okta;

/// The invocation's outcome: an invalid token first, then any other failure, then a rate-limit
/// delay, then "call again" when a job stopped early, else done.
pub fn outcome(results: Vec<(Job, Result<(), JobFail>)>) -> ExtractOutcome {
    let mut delay = None;
    let mut stopped = false;
    let mut error: Option<String> = None;
    for (job, r) in results {
        match r {
            Ok(()) | Err(JobFail::Skip(_)) => {}
            Err(JobFail::Okta(e @ okta::Error::InvalidToken { .. })) if !e.feature_unavailable() => {
                return ExtractOutcome::Error(format!("{job}: {}", e.explain()))
            }
            Err(JobFail::Okta(okta::Error::RateLimited { wait_secs, .. })) => delay = Some(delay.unwrap_or(0).max(wait_secs)),
            Err(JobFail::Okta(e)) => {
                error.get_or_insert(format!("{job}: {}", e.explain()));
            }
            Err(JobFail::Broken(e)) => {
                error.get_or_insert(format!("{job}: {e}"));
            }
            Err(JobFail::Stop) => stopped = true,
        }
    }
    if let Some(m) = error {
        return ExtractOutcome::Error(m);
    }
    if let Some(s) = delay {
        return ExtractOutcome::Delayed(s);
    }
    if stopped {
        return ExtractOutcome::Progress;
    }
    ExtractOutcome::Done
}
