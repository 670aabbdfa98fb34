//! Devices with their users as references (`expand=user`); incremental with
//! `search=lastUpdated gt "…"`, falling back to a full listing when the search is rejected.
//! Orgs without devices (no Identity Engine: 401 E0000015, 403 or 404) skip the entity.

use serde_json::Value;

use super::{fall_back, pass_since, since_clause, walk_list, JobCtx, JobFail};
use crate::connector::state::JobState;
use crate::extract::{access, identity};

/// Runs (or resumes) the devices job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    loop {
        let since = pass_since(ctx, st);
        let start = match &since {
            Some(since) => {
                let q = since_clause("lastUpdated", since);
                ctx.url("/api/v1/devices", &[("search", &q), ("limit", "200"), ("expand", "user")])
            }
            None => ctx.url("/api/v1/devices", &[("limit", "200"), ("expand", "user")]),
        };
        let links = ctx.links.clone();
        let r = walk_list(ctx, st, start, |_, items| {
            let keep = |u: &Value| !identity::is_shadow(u) && !ctx.is_shadow_id(u.get("id").and_then(Value::as_str).unwrap_or(""));
            vec![("devices", items.iter().filter_map(|d| access::device(d, keep, &links)).collect())]
        })
        .await;
        match fall_back("devices", st, since.is_some(), r) {
            None => continue,
            Some(Err(JobFail::NotFound(m))) => return Err(JobFail::Skip(format!("devices are not available in this org: {m}"))),
            Some(Err(JobFail::Token(m))) if m.contains("E0000015") => {
                return Err(JobFail::Skip(format!("devices are not enabled in this org: {m}")))
            }
            Some(other) => return other,
        }
    }
}
