//! Users: every status. A full listing is the plain list plus a `status eq "DEPROVISIONED"`
//! pass (a plain list hides them); an incremental one filters on `lastUpdated`, which includes
//! deactivated users. Placeholder ("shadow") users are dropped and remembered so other jobs
//! drop edges to them. Custom attributes are typed from the user schema.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::{fail_of, since_clause, walk_list, JobCtx, JobFail};
use crate::connector::state::{keys, JobState};
use crate::extract::{identity, schema};
use crate::okta;

/// The user schema's custom attributes, or none (with a warning) when it cannot be read.
pub async fn custom_attrs(ctx: &JobCtx) -> Result<(Vec<schema::CustomAttr>, Option<String>), JobFail> {
    match ctx.client.get(&ctx.url("/api/v1/meta/schemas/user/default", &[])).await {
        Ok(r) => {
            let (attrs, warnings) = schema::custom_attrs(&r.body);
            for w in &warnings {
                tracing::warn!(entity = "users", "{w}");
            }
            Ok((attrs, None))
        }
        Err(e @ (okta::Error::PermissionDenied { .. } | okta::Error::NotFound { .. })) => {
            let note = format!("user schema not readable ({e}); custom attributes are not extracted");
            tracing::warn!(entity = "users", "{note}");
            Ok((Vec::new(), Some(note)))
        }
        Err(e) => Err(fail_of("users", e)),
    }
}

/// Runs (or resumes) the users job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    let (custom, schema_note) = custom_attrs(ctx).await?;
    if let Some(n) = schema_note {
        st.note = n;
    }
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let pass = st.pos.get("pass").and_then(Value::as_str).unwrap_or("").to_string();
        let (start, next_pass) = match (pass.as_str(), &ctx.run.since) {
            ("" | "incremental", Some(since)) if st.mode != "full" => {
                st.mode = "incremental".into();
                let f = since_clause("lastUpdated", since);
                (ctx.url("/api/v1/users", &[("filter", &f), ("limit", "200")]), None)
            }
            ("deprovisioned", _) => (ctx.url("/api/v1/users", &[("filter", "status eq \"DEPROVISIONED\""), ("limit", "200")]), None),
            _ => {
                st.mode = "full".into();
                (ctx.url("/api/v1/users", &[("limit", "200")]), Some("deprovisioned"))
            }
        };
        if pass.is_empty() {
            st.pos = json!({"pass": if st.mode == "incremental" { "incremental" } else { "plain" }});
        }
        let result = walk_list(ctx, st, start, |_, items| {
            let mut recs = Vec::new();
            let mut new_shadow = Vec::new();
            for u in &items {
                let id = u.get("id").and_then(Value::as_str).unwrap_or("");
                if identity::is_shadow(u) {
                    new_shadow.push(id.to_string());
                } else if seen.insert(id.to_string()) {
                    recs.extend(identity::user(u, &custom, &ctx.links));
                }
            }
            if !new_shadow.is_empty() {
                if let Ok(mut s) = ctx.shadow.write() {
                    s.extend(new_shadow);
                }
            }
            vec![("users", recs)]
        })
        .await;
        save_shadow(ctx).await?;
        match result {
            Err(JobFail::FilterRejected(m)) if st.mode == "incremental" => {
                tracing::warn!(entity = "users", reason = %m, "incremental filter rejected; falling back to full sync");
                st.note = "incremental filter rejected: falling back to full sync".into();
                st.mode = "full".into();
                st.pos = json!({"pass": "plain"});
                continue;
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        match next_pass {
            Some(p) => {
                st.pos = json!({"pass": p});
                ctx.save(st).await?;
            }
            None => return Ok(()),
        }
    }
}

async fn save_shadow(ctx: &JobCtx) -> Result<(), JobFail> {
    let mut ids: Vec<String> = ctx.shadow.read().map(|s| s.iter().cloned().collect()).unwrap_or_default();
    ids.sort();
    ctx.sink.checkpoint(keys::SHADOW, json!(ids)).await.map_err(|_| JobFail::Stop)
}
