//! Policies in a log-driven run: calls only for what the events name, none without an event.
//!
//! - A policy an event names (`policy.lifecycle.*`, `policy.rule.*`: Okta logs every change to a
//!   policy or its rules) is read alone, `GET /api/v1/policies/{id}?expand=rules`, its rules
//!   paged on their own when Okta embeds as many as it ever does or refuses to embed them (a
//!   policy of more than 20 rules). Named policies are read in id order, resuming after the
//!   last one sent.
//! - The authorization servers' policies are read (the servers, each server's policies, the
//!   rules of those named or changed since the last sync, as before) only when an event names a
//!   server (`oauth2.as.*` but a deletion: the change set counts these events without their
//!   ids, so every server is looked at) or a named policy is not one of `/api/v1/policies` (a
//!   server's policy lives under its server).
//! - Deleted policies are sent as the events' tombstones; the policies of a deleted server get
//!   theirs at the round's end ([`crate::connector::mirror`]).

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::auth_servers::{self, Wanted};
use super::policies::with_rules;
use super::{JobCtx, JobFail};
use crate::connector::changes::ChangeSet;
use crate::connector::state::{JobState, Mode, PoliciesPos};
use crate::okta::endpoints::policies as endpoint;
use crate::okta::{self, OktaClient};

/// A named policy as read: `None` when `/api/v1/policies` does not hold it.
type Fetched = Result<Option<Value>, okta::Error>;

/// Reads (or resumes) what the events name.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<PoliciesPos>, cs: &ChangeSet) -> Result<(), JobFail> {
    st.mode = Mode::LogDriven;
    let after = st.pos.named_done.clone();
    let todo: Vec<&str> = cs.policies.iter().map(String::as_str).filter(|p| after.as_deref().is_none_or(|a| *p > a)).collect();
    for chunk in todo.chunks(ctx.fanout.max(1)) {
        ctx.check_stop()?;
        let reads: Vec<BoxFuture<'static, Fetched>> = chunk.iter().map(|id| fetch(ctx.client.clone(), id.to_string()).boxed()).collect();
        let read: Vec<Fetched> = futures::stream::iter(reads).buffered(ctx.fanout.max(1)).collect().await;
        let mut found = Vec::new();
        for r in read {
            match r? {
                Some(p) => found.push(p),
                None => st.pos.servers_due = true,
            }
        }
        let recs = with_rules(ctx, found.into_iter()).await?;
        ctx.send(st, "policies", recs).await?;
        st.pos.named_done = chunk.last().map(|s| s.to_string());
        ctx.save(st).await?;
    }
    if st.pos.servers_due || server_events(cs) > 0 {
        let only = Some((cs.policies.clone(), ctx.sync.since.clone().unwrap_or_default()));
        auth_servers::extract(ctx, st, Wanted { only }).await?;
    }
    ctx.send_tombstones(st, cs.tombstones_of(&["policies"])).await
}

/// Events about authorization servers that the change set kept no id of (all but deletions).
fn server_events(cs: &ChangeSet) -> u64 {
    cs.other_events.iter().filter(|(k, _)| k.starts_with("oauth2.as.")).map(|(_, n)| n).sum()
}

/// One named policy as `/api/v1/policies` holds it (rules embedded when Okta embeds them);
/// `None` when it does not: deleted since, or an authorization server's.
async fn fetch(client: OktaClient, id: String) -> Fetched {
    let p = match client.get(&endpoint::one(&client, &id, true)?).await {
        Ok(r) => r.body,
        Err(okta::Error::NotFound { .. }) => return Ok(None),
        // More than 20 rules: the policy alone, its rules read on their own (`with_rules`).
        Err(e) if endpoint::expand_refused(&e) => match client.get(&endpoint::one(&client, &id, false)?).await {
            Ok(r) => r.body,
            Err(okta::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let server_policy = p.get("type").and_then(Value::as_str) == Some("OAUTH_AUTHORIZATION_POLICY");
    Ok((!server_policy).then_some(p))
}
