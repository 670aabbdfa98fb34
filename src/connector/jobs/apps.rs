//! Applications and their user and group assignments, in one pass over the apps with bounded
//! parallel fan-out. A 403 on one assignment kind skips just that kind.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use serde_json::{json, Value};

use super::{fan_out, send_pages, Batches, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::{FanPos, JobState, Mode};
use crate::extract::access;
use crate::okta::{self, endpoints};

/// The assignment kinds, each skipped on its own on a 403.
const ASSIGNMENT_KINDS: [&str; 2] = ["app_user_assignments", "app_group_assignments"];

struct Apps<'a> {
    ctx: &'a JobCtx,
    forbidden: Arc<Mutex<BTreeMap<&'static str, String>>>,
    /// Assignment kinds read for at least one app.
    read: Arc<Mutex<BTreeSet<&'static str>>>,
}

fn forbidden(f: &Mutex<BTreeMap<&'static str, String>>, kind: &str) -> bool {
    f.lock().map(|m| m.contains_key(kind)).unwrap_or(false)
}

impl FanOut<FanPos> for Apps<'_> {
    fn parents(&self, _st: &mut JobState<FanPos>, parents: &[Value]) -> Batches {
        vec![("applications", parents.iter().filter_map(|a| access::application(a, &self.ctx.links)).collect())]
    }

    fn wants_children(&self, _p: &Value) -> bool {
        ASSIGNMENT_KINDS.iter().any(|k| self.ctx.wants(k))
    }

    fn fetch(&self, app: &Value) -> ChildFuture {
        let id = app.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        // The app as listed titles its assignments ("Portal ← ada@acme.com").
        let app = app.clone();
        let wanted: Vec<&'static str> = ASSIGNMENT_KINDS.into_iter().filter(|k| self.ctx.wants(k)).collect();
        let client = self.ctx.client.clone();
        let users_url = endpoints::apps::users(&self.ctx.client, &id);
        let groups_url = endpoints::apps::groups(&self.ctx.client, &id);
        let fb = self.forbidden.clone();
        let read = self.read.clone();
        let (links, placeholders, sink) = (self.ctx.links.clone(), self.ctx.placeholders.clone(), self.ctx.sink.clone());
        async move {
            let mut out = json!({});
            for (kind, url) in [("app_user_assignments", users_url), ("app_group_assignments", groups_url)] {
                if !wanted.contains(&kind) || forbidden(&fb, kind) {
                    continue;
                }
                // Normalized and sent page by page: a large app is never held whole.
                let keep = |v: Value| match kind {
                    "app_user_assignments" => {
                        let uid = v.get("id").and_then(Value::as_str).unwrap_or("");
                        let is_placeholder = placeholders.read().map(|s| s.contains(uid)).unwrap_or(false);
                        if is_placeholder {
                            None
                        } else {
                            access::app_user_for(&app, &v, &links)
                        }
                    }
                    _ => access::app_group_for(&app, &v, &links),
                };
                match send_pages(&client, url, &sink, kind, keep).await {
                    Ok(Some(n)) => {
                        out[kind] = json!(n);
                        if let Ok(mut r) = read.lock() {
                            r.insert(kind);
                        }
                    }
                    Ok(None) => return Err(okta::Error::DeadlineReached { endpoint: "the artifact writer stopped".into() }),
                    // Other apps' lists of this kind were read: only this app's is out of reach.
                    Err(e @ okta::Error::PermissionDenied { .. }) if read.lock().is_ok_and(|r| r.contains(kind)) => {
                        tracing::warn!(entity = kind, error = %e, "one app's assignments forbidden; skipping that app");
                        out["forbidden"] = json!(out["forbidden"].as_u64().unwrap_or(0) + 1);
                    }
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

    fn children(&self, st: &mut JobState<FanPos>, _app: &Value, raw: Value) -> Batches {
        if let Ok(m) = self.forbidden.lock() {
            for (k, v) in m.iter() {
                st.skipped.insert(k.to_string(), v.clone());
            }
        }
        st.parents_forbidden += raw.get("forbidden").and_then(Value::as_u64).unwrap_or(0);
        // The records were sent as their pages arrived; only the counts come back.
        for k in ASSIGNMENT_KINDS {
            *st.records.entry(k.to_string()).or_default() += raw.get(k).and_then(Value::as_u64).unwrap_or(0);
        }
        Vec::new()
    }
}

/// Extracts (or resumes) the apps and their assignments.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    ctx.wait_for_users().await?;
    st.mode = Mode::Full;
    let read = ASSIGNMENT_KINDS.into_iter().filter(|k| st.records.get(*k).is_some_and(|n| *n > 0)).collect();
    let f = Apps { ctx, forbidden: Arc::new(Mutex::new(BTreeMap::new())), read: Arc::new(Mutex::new(read)) };
    for (k, v) in &st.skipped {
        if let Some(kind) = ASSIGNMENT_KINDS.iter().find(|x| *x == k) {
            if let Ok(mut m) = f.forbidden.lock() {
                m.insert(kind, v.clone());
            }
        }
    }
    let start = endpoints::apps::list(&ctx.client);
    fan_out(ctx, st, start, |p| p, &f).await
}
