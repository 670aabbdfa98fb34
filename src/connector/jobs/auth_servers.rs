//! The policies of custom authorization servers (API Access Management), read at the end of the
//! policies job: the servers (paged at 200), each server's policies, each policy's rules, sent
//! as `policies` records. The family has its own gating: a 403 (missing permission), a 401
//! E0000015 (not licensed) or a 404 (not available) on it skips only this part, with a note;
//! the rest of the policies job stands. Its own resume position (a fan-out over the servers,
//! by server id) lives in the policies job's position.

use std::collections::BTreeSet;

use futures::{FutureExt, StreamExt};
use serde_json::{json, Value};

use super::{fan_out, token_or_licence, Batches, ChildFuture, FanOut, JobCtx, JobFail, SkipReason};
use crate::connector::state::{JobState, PoliciesPos};
use crate::extract::{policies, ts};
use crate::okta::endpoints::auth_servers;
use crate::okta::{self, OktaClient};

/// Which policies are sent (and have their rules read): all of them, or in a log-driven run
/// those an event names or changed since the last sync.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// `None`: every policy.
    pub only: Option<(BTreeSet<String>, String)>,
}

impl Wanted {
    fn wants(&self, p: &Value) -> bool {
        match &self.only {
            None => true,
            Some((named, since)) => {
                named.contains(super::id_of(p)) || ts(p.get("lastUpdated")).is_some_and(|t| t.as_str() > since.as_str())
            }
        }
    }
}

struct Servers<'a> {
    ctx: &'a JobCtx,
    wanted: Wanted,
}

impl FanOut<PoliciesPos> for Servers<'_> {
    fn parents(&self, _st: &mut JobState<PoliciesPos>, _parents: &[Value]) -> Batches {
        Vec::new()
    }

    fn wants_children(&self, server: &Value) -> bool {
        !super::id_of(server).is_empty()
    }

    fn fetch(&self, server: &Value) -> ChildFuture {
        fetch(self.ctx.client.clone(), super::id_of(server).to_string(), self.wanted.clone(), self.ctx.fanout.max(1))
    }

    fn children(&self, _st: &mut JobState<PoliciesPos>, server: &Value, raw: Value) -> Batches {
        let recs = raw
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pr| {
                let rules = pr.get("rules").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
                policies::auth_server_policy(server, pr.get("policy")?, rules, &self.ctx.links)
            })
            .collect();
        vec![("policies", recs)]
    }
}

/// One server's wanted policies with their rules: `[{"policy": …, "rules": […]}, …]`.
fn fetch(client: OktaClient, server_id: String, wanted: Wanted, fanout: usize) -> ChildFuture {
    async move {
        let policies = auth_servers::fetch_policies(&client, &server_id).await?;
        let fetches = policies.into_iter().filter(|p| wanted.wants(p)).map(|p| {
            let (client, sid) = (client.clone(), server_id.clone());
            async move {
                let rules = auth_servers::fetch_rules(&client, &sid, super::id_of(&p)).await?;
                Ok::<_, okta::Error>(json!({"policy": p, "rules": rules}))
            }
        });
        let done: Vec<Result<Value, okta::Error>> = futures::stream::iter(fetches).buffered(fanout).collect().await;
        Ok(Value::Array(done.into_iter().collect::<Result<Vec<_>, _>>()?))
    }
    .boxed()
}

/// Reads (or resumes) the authorization servers' policies. A family the token may not read, or
/// the org does not have, ends this part with a note (`Ok`); anything else is the job's error.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<PoliciesPos>, wanted: Wanted) -> Result<(), JobFail> {
    let start = auth_servers::list(&ctx.client);
    let r = fan_out(ctx, st, start, |p| &mut p.auth_servers, &Servers { ctx, wanted }).await;
    let r = match r {
        Err(JobFail::Okta(e @ okta::Error::InvalidToken { .. })) => Err(token_or_licence(ctx, e).await),
        other => other,
    };
    let why = match r {
        Ok(()) => return Ok(()),
        Err(JobFail::Skip(SkipReason::Forbidden(e))) => SkipReason::Forbidden(e),
        Err(JobFail::Skip(SkipReason::NotLicensed(e))) => SkipReason::NotLicensed(e),
        Err(JobFail::Okta(e)) if auth_servers::not_available(&e) && st.children_read == 0 => SkipReason::NotAvailable(e),
        Err(e) => return Err(e),
    };
    tracing::warn!(entity = "policies", reason = %why, "authorization server policies skipped; the other policies are extracted");
    let note = format!("authorization server policies skipped: {why}");
    st.note = if st.note.is_empty() { note } else { format!("{}; {note}", st.note) };
    Ok(())
}
