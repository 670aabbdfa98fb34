//! Devices with their users as references (`expand=user`); incremental with
//! `search=lastUpdated gt "…"`, falling back to a full listing when the search is rejected.
//! Orgs without devices (no Identity Engine: 401 E0000015, 403 or 404) skip the entity.

use serde_json::Value;

use super::{fall_back, pass_since, since_clause, walk_list, JobCtx, JobFail, SkipReason};
use crate::connector::state::{JobState, ListPos};
use crate::extract::{devices, users};
use crate::okta::endpoints;

/// Extracts (or resumes) the devices.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<ListPos>) -> Result<(), JobFail> {
    loop {
        let since = pass_since(ctx, st);
        let search = since.as_ref().map(|s| since_clause("lastUpdated", s, ctx.sync.until.as_deref()));
        let start = endpoints::devices::list(&ctx.client, search.as_deref());
        let links = ctx.links.clone();
        let r = walk_list(
            ctx,
            st,
            start,
            |p| &mut p.cursor,
            |_, items| {
                let keep = |u: &Value| !users::is_shadow(u) && !ctx.is_placeholder(u.get("id").and_then(Value::as_str).unwrap_or(""));
                vec![("devices", items.iter().filter_map(|d| devices::device(d, keep, &links)).collect())]
            },
        )
        .await;
        match fall_back(ctx, st, since.is_some(), r) {
            None => continue,
            Some(Err(JobFail::Okta(e))) if endpoints::devices::not_available(&e) => return Err(JobFail::Skip(SkipReason::NotAvailable(e))),
            Some(Ok(())) if ctx.relist_whole(st).await? => st.pos = ListPos::default(),
            Some(Ok(())) => {
                // Deleted devices, as the events tell them.
                if let Some(cs) = ctx.logged_changes().await? {
                    ctx.send_tombstones(st, cs.tombstones_of(&["devices"])).await?;
                }
                return Ok(());
            }
            Some(other) => return other,
        }
    }
}
