//! Users: every status. A full listing is the plain list plus a `status eq "DEPROVISIONED"`
//! pass (a plain list hides them); an incremental one filters on `lastUpdated`, which includes
//! deactivated users. Placeholder ("shadow") users are dropped and remembered so other jobs
//! drop edges to them. Custom attributes are typed from the user schema.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::{since_clause, walk_list, JobCtx, JobFail};
use crate::connector::schema::user_schema;
use crate::connector::state::{keys, JobState, Mode, UsersPass, UsersPos};
use crate::extract::identity;
use crate::okta::{self, endpoints};

/// Extracts (or resumes) the users.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<UsersPos>) -> Result<(), JobFail> {
    let schema = user_schema(&ctx.client).await?;
    if let Some(n) = schema.note {
        st.note = n;
    }
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let pass = match (st.pos.pass, &ctx.sync.since) {
            (None | Some(UsersPass::Incremental), Some(_)) if st.mode != Mode::Full => UsersPass::Incremental,
            (Some(UsersPass::Deprovisioned), _) => UsersPass::Deprovisioned,
            _ => UsersPass::Plain,
        };
        let start = match (pass, &ctx.sync.since) {
            (UsersPass::Incremental, Some(since)) => endpoints::users::list(&ctx.client, Some(&since_clause("lastUpdated", since))),
            (UsersPass::Deprovisioned, _) => endpoints::users::deprovisioned(&ctx.client),
            _ => endpoints::users::list(&ctx.client, None),
        };
        st.mode = if pass == UsersPass::Incremental { Mode::Incremental } else { Mode::Full };
        if st.pos.pass != Some(pass) {
            st.pos = UsersPos { pass: Some(pass), cursor: None };
        }
        let result = walk_list(
            ctx,
            st,
            start,
            |p| &mut p.cursor,
            |_, items| {
                let mut recs = Vec::new();
                let mut new_placeholders = Vec::new();
                for u in &items {
                    let id = u.get("id").and_then(Value::as_str).unwrap_or("");
                    if identity::is_shadow(u) {
                        new_placeholders.push(id.to_string());
                    } else if seen.insert(id.to_string()) {
                        recs.extend(identity::user(u, &schema.attrs, &ctx.links));
                    }
                }
                if !new_placeholders.is_empty() {
                    if let Ok(mut s) = ctx.placeholders.write() {
                        s.extend(new_placeholders);
                    }
                }
                vec![("users", recs)]
            },
        )
        .await;
        save_placeholders(ctx).await?;
        match result {
            Err(JobFail::Okta(e @ okta::Error::FilterRejected { .. })) if pass == UsersPass::Incremental => {
                tracing::warn!(entity = "users", reason = %e, "incremental filter rejected; falling back to full sync");
                st.note = "incremental filter rejected: falling back to full sync".into();
                st.mode = Mode::Full;
                st.pos = UsersPos { pass: Some(UsersPass::Plain), cursor: None };
                continue;
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        match pass {
            UsersPass::Plain => {
                st.pos = UsersPos { pass: Some(UsersPass::Deprovisioned), cursor: None };
                ctx.save(st).await?;
            }
            _ => return Ok(()),
        }
    }
}

async fn save_placeholders(ctx: &JobCtx) -> Result<(), JobFail> {
    let mut ids: Vec<String> = ctx.placeholders.read().map(|s| s.iter().cloned().collect()).unwrap_or_default();
    ids.sort();
    Ok(ctx.sink.checkpoint(keys::PLACEHOLDER_USERS, json!(ids)).await?)
}
