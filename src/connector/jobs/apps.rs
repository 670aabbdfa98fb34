//! Applications and their user and group assignments, in one pass over the apps with bounded
//! parallel fan-out. A 403 on one assignment kind skips just that kind.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use serde_json::{json, Value};

use super::{fan_out, send_pages, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::JobState;
use crate::extract::access;
use crate::okta;

struct Apps<'a> {
    ctx: &'a JobCtx,
    forbidden: Arc<Mutex<BTreeMap<&'static str, String>>>,
}

fn forbidden(f: &Mutex<BTreeMap<&'static str, String>>, kind: &str) -> bool {
    f.lock().map(|m| m.contains_key(kind)).unwrap_or(false)
}

impl FanOut for Apps<'_> {
    fn parents(&self, _st: &mut JobState, parents: &[Value]) -> Vec<(&'static str, Vec<Value>)> {
        vec![("applications", parents.iter().filter_map(|a| access::application(a, &self.ctx.links)).collect())]
    }

    fn wants_children(&self, _p: &Value) -> bool {
        true
    }

    fn fetch(&self, app: &Value) -> ChildFuture {
        let id = app.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        let client = self.ctx.client.clone();
        let users_url = self.ctx.url(&format!("/api/v1/apps/{id}/users"), &[("limit", "500")]);
        let groups_url = self.ctx.url(&format!("/api/v1/apps/{id}/groups"), &[("limit", "200")]);
        let fb = self.forbidden.clone();
        let (links, shadow, sink) = (self.ctx.links.clone(), self.ctx.shadow.clone(), self.ctx.sink.clone());
        async move {
            let mut out = json!({});
            for (kind, url) in [("app_user_assignments", users_url), ("app_group_assignments", groups_url)] {
                if forbidden(&fb, kind) {
                    continue;
                }
                // Normalized and sent page by page: a large app is never held whole.
                let keep = |v: Value| match kind {
                    "app_user_assignments" => {
                        let uid = v.get("id").and_then(Value::as_str).unwrap_or("");
                        let is_shadow = shadow.read().map(|s| s.contains(uid)).unwrap_or(false);
                        if is_shadow {
                            None
                        } else {
                            access::app_user(&id, &v, &links)
                        }
                    }
                    _ => access::app_group(&id, &v, &links),
                };
                match send_pages(&client, url, &sink, kind, keep).await {
                    Ok(Some(n)) => out[kind] = json!(n),
                    Ok(None) => return Err(okta::Error::DeadlineReached { endpoint: "the artifact writer stopped".into() }),
                    Err(e @ okta::Error::PermissionDenied { .. }) => {
                        tracing::warn!(entity = kind, error = %e, "missing permission; skipping this item type");
                        if let Ok(mut m) = fb.lock() {
                            m.insert(kind, format!("missing permission: {e}"));
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        }
        .boxed()
    }

    fn children(&self, st: &mut JobState, _app: &Value, raw: Value) -> Vec<(&'static str, Vec<Value>)> {
        if let Ok(m) = self.forbidden.lock() {
            for (k, v) in m.iter() {
                st.skipped.insert(k.to_string(), v.clone());
            }
        }
        // The records were sent as their pages arrived; only the counts come back.
        for k in ["app_user_assignments", "app_group_assignments"] {
            *st.records.entry(k.to_string()).or_default() += raw.get(k).and_then(Value::as_u64).unwrap_or(0);
        }
        Vec::new()
    }
}

/// Runs (or resumes) the apps job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    ctx.wait_for_users().await?;
    st.mode = "full".into();
    let f = Apps { ctx, forbidden: Arc::new(Mutex::new(BTreeMap::new())) };
    for (k, v) in &st.skipped {
        if let Some(kind) = ["app_user_assignments", "app_group_assignments"].iter().find(|x| *x == k) {
            if let Ok(mut m) = f.forbidden.lock() {
                m.insert(kind, v.clone());
            }
        }
    }
    let start = ctx.url("/api/v1/apps", &[("limit", "200")]);
    fan_out(ctx, st, start, &f).await
}
