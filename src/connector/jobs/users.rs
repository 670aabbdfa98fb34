//! Users: every status. A full listing is the plain list plus a `status eq "DEPROVISIONED"`
//! pass (a plain list hides them); an incremental one filters on `lastUpdated`, which includes
//! deactivated users. Placeholder ("shadow") users are dropped and remembered so other jobs
//! drop edges to them. Custom attributes are typed from the user schema.

use std::collections::HashSet;

use serde_json::Value;

use super::user_walk::walk_plain;
use super::{since_clause, walk_list, JobCtx, JobFail};
use crate::connector::job::Job;
use crate::connector::schema::user_schema;
use crate::connector::state::{keys, JobState, Mode, UsersPass, UsersPos};
use crate::extract::users;
use crate::extract::users::UserTypeAttrs;
use crate::okta::endpoints;

/// Extracts (or resumes) the users.
///
/// Everything a later job joins with is saved with the cursor that produced it: the placeholder
/// ids found so far and the schema the users were typed by live in the job's position, so a
/// kill at any instant resumes with the same placeholders and the same custom attributes.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<UsersPos>) -> Result<(), JobFail> {
    let attrs = user_types(ctx, st).await?;
    if let Ok(mut s) = ctx.placeholders.write() {
        s.extend(st.pos.placeholders.iter().cloned());
    }
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let (pass, start) = next_pass(ctx, st);
        st.mode = if pass == UsersPass::Incremental { Mode::Incremental } else { Mode::Full };
        if st.pos.pass != Some(pass) {
            st.pos.pass = Some(pass);
            st.pos.cursor = None;
        }
        let on_page = |st: &mut JobState<UsersPos>, items: Vec<Value>| vec![("users", records(ctx, st, &attrs, &mut seen, &items))];
        let result = if pass == UsersPass::Plain {
            walk_plain(ctx, st, start, on_page).await
        } else {
            // The pages the other jobs share are the plain list's.
            ctx.user_pages.leave(Job::Users);
            walk_list(ctx, st, start, |p| &mut p.cursor, on_page).await
        };
        let Some(result) = super::fall_back(ctx, st, pass == UsersPass::Incremental, result) else {
            // The position starts again; what the job learnt before stays.
            st.pos.user_types = Some(attrs.clone());
            st.pos.placeholders = ctx.placeholders.read().map(|s| s.iter().cloned().collect()).unwrap_or_default();
            continue;
        };
        result?;
        match pass {
            UsersPass::Plain => {
                ctx.user_pages.leave(Job::Users);
                st.pos.pass = Some(UsersPass::Deprovisioned);
                st.pos.cursor = None;
                ctx.save(st).await?;
            }
            // The log cannot tell deletions: every user is listed, so the round's end can.
            _ if ctx.relist_whole(st).await? => {
                st.pos.pass = Some(UsersPass::Plain);
                st.pos.cursor = None;
            }
            _ => {
                // Deleted users, as the events tell them (no listing shows them).
                if let Some(cs) = ctx.logged_changes().await? {
                    ctx.send_tombstones(st, cs.tombstones_of(&["users"])).await?;
                }
                // Outlives the job's position (reset once done): written before the job's end,
                // so a kill in between resumes from the last page with the same placeholders.
                return save_placeholders(ctx).await;
            }
        }
    }
}

/// The records of a page of users. A placeholder is remembered instead (saved with the cursor
/// past this page, in the same checkpoint); a user this invocation already sent (one that moved
/// between passes) is not sent again.
fn records(ctx: &JobCtx, st: &mut JobState<UsersPos>, attrs: &UserTypeAttrs, seen: &mut HashSet<String>, items: &[Value]) -> Vec<Value> {
    let mut recs = Vec::new();
    for u in items {
        let id = u.get("id").and_then(Value::as_str).unwrap_or("");
        if users::is_shadow(u) {
            st.pos.placeholders.insert(id.to_string());
            if let Ok(mut s) = ctx.placeholders.write() {
                s.insert(id.to_string());
            }
        } else if seen.insert(id.to_string()) {
            recs.extend(users::user(u, attrs, &ctx.links));
        }
    }
    recs
}

/// The custom attributes of every user type: read when the job starts, kept in its position
/// so a resumed job types users as the pages already sent.
async fn user_types(ctx: &JobCtx, st: &mut JobState<UsersPos>) -> Result<UserTypeAttrs, JobFail> {
    if let Some(attrs) = st.pos.user_types.clone() {
        return Ok(attrs);
    }
    let schema = user_schema(&ctx.client).await?;
    if let Some(n) = schema.note {
        st.note = n;
    }
    st.pos.user_types = Some(schema.types.clone());
    Ok(schema.types)
}

/// The pass to run (incremental while the run has a watermark and no filter was rejected;
/// the deprovisioned users after the plain list) and where it starts.
fn next_pass(ctx: &JobCtx, st: &JobState<UsersPos>) -> (UsersPass, url::Url) {
    let pass = match (st.pos.pass, &ctx.sync.since) {
        (None | Some(UsersPass::Incremental), Some(_)) if st.mode != Mode::Full => UsersPass::Incremental,
        (Some(UsersPass::Deprovisioned), _) => UsersPass::Deprovisioned,
        _ => UsersPass::Plain,
    };
    let start = match (pass, &ctx.sync.since) {
        (UsersPass::Incremental, Some(since)) => {
            endpoints::users::list(&ctx.client, Some(&since_clause("lastUpdated", since, ctx.sync.until.as_deref())))
        }
        (UsersPass::Deprovisioned, _) => endpoints::users::deprovisioned(&ctx.client),
        _ => endpoints::users::list(&ctx.client, None),
    };
    (pass, start)
}

async fn save_placeholders(ctx: &JobCtx) -> Result<(), JobFail> {
    let mut ids: Vec<String> = ctx.placeholders.read().map(|s| s.iter().cloned().collect()).unwrap_or_default();
    ids.sort();
    Ok(ctx.sink.checkpoint(keys::PLACEHOLDER_USERS, &ids).await?)
}
