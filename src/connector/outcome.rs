//! How the data phase ended, from every job's result.

use super::job::Job;
use super::jobs::JobFail;
use crate::airsync::extractor::{ErrorCode, ExtractOutcome};
use crate::okta;

/// The message for a failure the platform should see, led by the `ERROR_CODE=` of a persistent
/// condition so that the platform stops periodic syncs instead of retrying them: a token Okta
/// rejects (401), an org that is gone (404 on `/api/v1/org`), a token with no permission at all.
/// The reply sends the code alone and the rest goes to the log and the event report
/// (`airsync::reply::platform_message`). Transient failures keep plain messages.
pub fn platform_message(e: &okta::Error, org_gone: bool) -> String {
    match e {
        _ if e.feature_unavailable() => e.explain(),
        _ if e.no_access() => ErrorCode::ExternalSystemNoAccess.message(&e.explain()),
        okta::Error::NotFound { .. } if org_gone => ErrorCode::ExternalSyncUnitDeleted.message(&e.explain()),
        okta::Error::PermissionDenied { .. } => ErrorCode::ExternalSystemNoPermission.message(&e.explain()),
        _ => e.explain(),
    }
}

/// [`platform_message`] for one job's failure: the job named after the `ERROR_CODE=` of a
/// persistent condition (which the reply sends alone) or before a plain message.
pub fn job_message(job: Job, e: &okta::Error, org_gone: bool) -> String {
    let msg = platform_message(e, org_gone);
    match ErrorCode::ALL.into_iter().find_map(|c| msg.strip_prefix(c.as_str()).map(|rest| (c, rest.trim_start()))) {
        Some((code, detail)) => code.message(&format!("{job}: {detail}")),
        None => format!("{job}: {msg}"),
    }
}

/// Whether the error is Okta's answer for an org endpoint that no longer exists.
pub fn is_org_endpoint(e: &okta::Error) -> bool {
    matches!(e, okta::Error::NotFound { .. }) && e.endpoint().ends_with("/api/v1/org")
}

/// The invocation's outcome: an invalid token first, then any other failure, then a rate-limit
/// delay, then "call again" when a job stopped early, else done.
pub fn outcome(results: Vec<(Job, Result<(), JobFail>)>) -> ExtractOutcome {
    let mut delay = None;
    let mut stopped = false;
    let mut error: Option<String> = None;
    for (job, r) in results {
        match r {
            Ok(()) | Err(JobFail::Skip(_)) => {}
            Err(JobFail::Okta(e)) if e.no_access() => {
                return ExtractOutcome::Error(ErrorCode::ExternalSystemNoAccess.message(&format!("{job}: {}", e.explain())))
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
