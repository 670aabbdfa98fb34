//! Policies of every type the org answers for, each with its rules embedded. Types the org's
//! engine does not support (400 E0000002) are skipped quietly. `OAUTH_AUTHORIZATION_POLICY` is
//! never asked for here (it lives under authorization servers). A log-driven run lists none of
//! them: it reads what its events name ([`policies_logged`](super::policies_logged)).

use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::{EdgeRead, JobCtx, JobFail};
use crate::connector::state::{JobState, PoliciesPos};
use crate::extract::policies;
use crate::okta::endpoints::policies::{self as endpoint, EMBEDDED_RULES_MAX};
use crate::okta::paging::collect_as;
use crate::okta::{self, EndRule, Pager};

/// The policy types asked for, in order.
pub const POLICY_TYPES: &[&str] = &[
    "OKTA_SIGN_ON",
    "PASSWORD",
    "MFA_ENROLL",
    "IDP_DISCOVERY",
    "ACCESS_POLICY",
    "PROFILE_ENROLLMENT",
    "POST_AUTH_SESSION",
    "ENTITY_RISK",
    "DEVICE_SIGNAL_COLLECTION",
    "SESSION_VIOLATION_DETECTION",
    "CLIENT_UPDATE",
    "IDENTITY_CLAIM_SOURCING",
];

/// Extracts (or resumes) the policies: every type in a full reading, only what the events
/// name in a log-driven run ([`policies_logged`](super::policies_logged)).
pub async fn extract(ctx: &JobCtx, st: &mut JobState<PoliciesPos>) -> Result<(), JobFail> {
    match ctx.edge_read().await? {
        EdgeRead::Log(cs) => super::policies_logged::extract(ctx, st, &cs).await,
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
            list_all(ctx, st).await
        }
    }
}

/// Lists every policy type, then the authorization servers' policies.
async fn list_all(ctx: &JobCtx, st: &mut JobState<PoliciesPos>) -> Result<(), JobFail> {
    loop {
        let Some(kind) = POLICY_TYPES.get(st.pos.type_index) else {
            return super::auth_servers::extract(ctx, st, super::auth_servers::Wanted::default()).await;
        };
        let start = endpoint::list(&ctx.client, kind);
        let cursor = ctx.cursor(st.pos.cursor.as_deref())?;
        let mut pager = Pager::new(ctx.client.clone(), cursor.unwrap_or(start), EndRule::NoNext);
        let mut plain = false;
        loop {
            ctx.check_stop()?;
            let page = match pager.next_page().await {
                Ok(Some(p)) => p,
                Ok(None) => break,
                // A policy of more than 20 rules makes Okta refuse `expand=rules`: the type is
                // listed again without it, and each policy's rules read on their own.
                Err(e) if !plain && endpoint::expand_refused(&e) => {
                    tracing::info!(policy_type = kind, error = %e, "expand=rules refused; listing the type without it");
                    plain = true;
                    pager = Pager::new(ctx.client.clone(), endpoint::list_plain(&ctx.client, kind), EndRule::NoNext);
                    continue;
                }
                Err(e) if endpoint::type_unsupported(&e) => {
                    tracing::debug!(policy_type = kind, "policy type not supported by this org");
                    break;
                }
                // 401 E0000015 for one type: the org has not licensed it (an Identity Engine
                // type on a Classic org). That type is skipped and noted; the others go on.
                Err(e) if e.feature_unavailable() => {
                    tracing::warn!(policy_type = kind, "policy type not licensed for this org; skipped");
                    add_note(st, &format!("{kind} policies skipped: not licensed"));
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let recs = with_rules(ctx, page.items.into_iter()).await?;
            ctx.send(st, "policies", recs).await?;
            st.pos.cursor = pager.cursor().map(|u| u.to_string());
            if pager.cursor().is_none() {
                break;
            }
            ctx.save(st).await?;
        }
        st.pos = PoliciesPos { type_index: st.pos.type_index + 1, cursor: None, ..PoliciesPos::default() };
        ctx.save(st).await?;
    }
}

/// Adds a note to the job's, once.
fn add_note(st: &mut JobState<PoliciesPos>, note: &str) {
    if !st.note.contains(note) {
        st.note = if st.note.is_empty() { note.to_string() } else { format!("{}; {note}", st.note) };
    }
}

/// The records of `policies`, each with its rules: those Okta embedded, or every page of them
/// when it embedded none (a plain listing) or as many as it ever does.
pub(super) async fn with_rules(ctx: &JobCtx, policies: impl Iterator<Item = Value>) -> Result<Vec<Value>, JobFail> {
    let fetches = policies.map(|p| {
        let embedded: Option<Vec<Value>> = p.pointer("/_embedded/rules").and_then(Value::as_array).cloned();
        let id = p.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        let client = ctx.client.clone();
        let url = endpoint::rules(&ctx.client, &id);
        async move {
            let rules = match embedded {
                Some(r) if r.len() < EMBEDDED_RULES_MAX => r,
                // More than Okta embeds: every page of the rules.
                _ => collect_as(&client, url?, Some::<Value>).await?,
            };
            Ok::<_, okta::Error>((p, rules))
        }
        .boxed()
    });
    let done: Vec<_> = futures::stream::iter(fetches).buffered(ctx.fanout.max(1)).collect().await;
    let mut recs = Vec::new();
    for r in done {
        let (p, rules) = r?;
        recs.extend(policies::policy(&p, &rules, &ctx.links));
    }
    Ok(recs)
}
