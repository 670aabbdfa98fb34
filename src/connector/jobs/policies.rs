//! Policies of every type the org answers for, each with its rules embedded. Types the org's
//! engine does not support (400 E0000002) are skipped quietly. `OAUTH_AUTHORIZATION_POLICY` is
//! never asked for here (it lives under authorization servers).

use futures::{FutureExt, StreamExt};
use serde_json::{json, Value};

use super::{fail_of, set_cursor, JobCtx, JobFail};
use crate::connector::state::JobState;
use crate::extract::access;
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

/// Most rules Okta embeds with `expand=rules`; a policy showing this many is asked for all.
pub const EMBEDDED_RULES_MAX: usize = 20;

/// Runs (or resumes) the policies job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    st.mode = "full".into();
    loop {
        let ti = st.pos.get("type_index").and_then(Value::as_u64).unwrap_or(0) as usize;
        let Some(kind) = POLICY_TYPES.get(ti) else { return Ok(()) };
        let start = ctx.url("/api/v1/policies", &[("type", kind), ("expand", "rules"), ("limit", "200")]);
        let cursor = ctx.cursor(st.pos.get("cursor").and_then(Value::as_str))?;
        let mut pager = Pager::new(ctx.client.clone(), cursor.unwrap_or(start), EndRule::NoNext);
        loop {
            ctx.check_stop()?;
            let page = match pager.next_page().await {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(okta::Error::Api { status: 400, code, .. }) if code == "E0000002" => {
                    tracing::debug!(policy_type = kind, "policy type not supported by this org");
                    break;
                }
                Err(e) => return Err(fail_of("policies", e)),
            };
            let fetches = page.items.into_iter().map(|p| {
                let embedded: Option<Vec<Value>> = p.pointer("/_embedded/rules").and_then(Value::as_array).cloned();
                let id = p.get("id").and_then(Value::as_str).unwrap_or("").to_string();
                let client = ctx.client.clone();
                let url = ctx.url(&format!("/api/v1/policies/{id}/rules"), &[]);
                async move {
                    let rules = match embedded {
                        Some(r) if r.len() < EMBEDDED_RULES_MAX => r,
                        _ => match client.get(&url).await {
                            Ok(resp) => resp.body.as_array().cloned().unwrap_or_default(),
                            Err(e) => return Err(e),
                        },
                    };
                    Ok::<_, okta::Error>((p, rules))
                }
                .boxed()
            });
            let done: Vec<_> = futures::stream::iter(fetches).buffered(ctx.fanout.max(1)).collect().await;
            let mut recs = Vec::new();
            for r in done {
                let (p, rules) = r.map_err(|e| fail_of("policies", e))?;
                recs.extend(access::policy(&p, &rules, &ctx.links));
            }
            ctx.push(st, "policies", recs).await?;
            set_cursor(st, pager.cursor().map(|u| u.as_str()));
            if pager.cursor().is_none() {
                break;
            }
            ctx.save(st).await?;
        }
        st.pos = json!({"type_index": ti + 1});
        ctx.save(st).await?;
    }
}
