//! Devices with their users as references (`expand=user`); incremental with
//! `search=lastUpdated gt "…"`, falling back to a full listing when the search is rejected.
//! Orgs without devices (no Identity Engine: 401 E0000015, 403 or 404) skip the entity.

use serde_json::{json, Value};

use super::{since_clause, walk_list, JobCtx, JobFail};
use crate::connector::state::JobState;
use crate::extract::{access, identity};

/// Runs (or resumes) the devices job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    loop {
        let incremental = ctx.run.since.is_some() && st.mode != "full";
        let start = match (&ctx.run.since, incremental) {
            (Some(since), true) => {
                st.mode = "incremental".into();
                let q = since_clause("lastUpdated", since);
                ctx.url("/api/v1/devices", &[("search", &q), ("limit", "200"), ("expand", "user")])
            }
            _ => {
                st.mode = "full".into();
                ctx.url("/api/v1/devices", &[("limit", "200"), ("expand", "user")])
            }
        };
        let links = ctx.links.clone();
        let r = walk_list(ctx, st, start, |_, items| {
            let keep = |u: &Value| !identity::is_shadow(u) && !ctx.is_shadow_id(u.get("id").and_then(Value::as_str).unwrap_or(""));
            vec![("devices", items.iter().filter_map(|d| access::device(d, keep, &links)).collect())]
        })
        .await;
        match r {
            Err(JobFail::FilterRejected(m)) if incremental => {
                tracing::warn!(entity = "devices", reason = %m, "incremental search rejected; falling back to full sync");
                st.note = "incremental search rejected: falling back to full sync".into();
                st.mode = "full".into();
                st.pos = json!({});
            }
            Err(JobFail::NotFound(m)) => return Err(JobFail::Skip(format!("devices are not available in this org: {m}"))),
            Err(JobFail::Token(m)) if m.contains("E0000015") => {
                return Err(JobFail::Skip(format!("devices are not enabled in this org: {m}")))
            }
            other => return other,
        }
    }
}
