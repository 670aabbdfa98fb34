//! Applications and their user and group assignments, in one pass over the apps with bounded
//! parallel fan-out. A 403 on one assignment kind skips just that kind.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use serde_json::{json, Value};

use super::{fan_out, send_pages, Batches, ChildFuture, EdgeRead, FanOut, JobCtx, JobFail};
use crate::connector::changes::ChangeSet;
use crate::connector::state::{FanPos, JobState};
use crate::extract::{apps, ts};
use crate::okta::{self, endpoints};

/// The assignment kinds, each skipped on its own on a 403.
const ASSIGNMENT_KINDS: [&str; 2] = ["app_user_assignments", "app_group_assignments"];

struct Apps<'a> {
    ctx: &'a JobCtx,
    forbidden: Arc<Mutex<BTreeMap<&'static str, String>>>,
    /// Assignment kinds read for at least one app.
    read: Arc<Mutex<BTreeSet<&'static str>>>,
    /// In a log-driven run: the apps to send and read again.
    only: Option<Only>,
}

/// What a log-driven run reads of the apps: every app is listed (a few pages), but only the
/// apps changed since the last sync are sent, and only the assignments of apps changed or
/// named by an assignment event are read again.
struct Only {
    since: String,
    changes: Arc<ChangeSet>,
}

impl Only {
    fn changed(&self, app: &Value) -> bool {
        let id = super::id_of(app);
        self.changes.apps.contains(id) || ts(app.get("lastUpdated")).is_some_and(|t| t.as_str() > self.since.as_str())
    }

    fn reread(&self, app: &Value) -> bool {
        self.changed(app) || self.changes.assignment_apps.contains(super::id_of(app))
    }
}

fn forbidden(f: &Mutex<BTreeMap<&'static str, String>>, kind: &str) -> bool {
    f.lock().map(|m| m.contains_key(kind)).unwrap_or(false)
}

impl FanOut<FanPos> for Apps<'_> {
    fn parents(&self, _st: &mut JobState<FanPos>, parents: &[Value]) -> Batches {
        let send = |a: &&Value| self.only.as_ref().is_none_or(|o| o.changed(a));
        vec![("applications", parents.iter().filter(send).filter_map(|a| apps::application(a, &self.ctx.links)).collect())]
    }

    fn wants_children(&self, p: &Value) -> bool {
        ASSIGNMENT_KINDS.iter().any(|k| self.ctx.wants(k)) && self.only.as_ref().is_none_or(|o| o.reread(p))
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
            let mut out = serde_json::Map::new();
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
                            apps::app_user_for(&app, &v, &links)
                        }
                    }
                    _ => apps::app_group_for(&app, &v, &links),
                };
                match send_pages(&client, url?, &sink, kind, keep).await {
                    Ok(Some(n)) => {
                        out.insert(kind.to_string(), json!(n));
                        if let Ok(mut r) = read.lock() {
                            r.insert(kind);
                        }
                    }
                    Ok(None) => return Err(okta::Error::DeadlineReached { endpoint: "the artifact writer stopped".into() }),
                    // Other apps' lists of this kind were read: only this app's is out of reach.
                    Err(e @ okta::Error::PermissionDenied { .. }) if read.lock().is_ok_and(|r| r.contains(kind)) => {
                        tracing::warn!(entity = kind, error = %e, "one app's assignments forbidden; skipping that app");
                        let forbidden = out.get("forbidden").and_then(Value::as_u64).unwrap_or(0) + 1;
                        out.insert("forbidden".to_string(), json!(forbidden));
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
            Ok(Value::Object(out))
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

/// Adds to the apps to read again those a reactivated user may have again: Okta grants the
/// apps of the user's groups back (help.okta.com, "Activate and deactivate users").
async fn with_reactivated_apps(ctx: &JobCtx, cs: Arc<ChangeSet>) -> Arc<ChangeSet> {
    let Some(reader) = ctx.index.as_ref().filter(|_| !cs.reactivated_users.is_empty()) else { return cs };
    match crate::connector::mirror::apps_of_groups_of(&ctx.sink, reader, &cs.reactivated_users).await {
        Some(apps) if !apps.is_subset(&cs.assignment_apps) => {
            let mut more = (*cs).clone();
            more.assignment_apps.extend(apps);
            Arc::new(more)
        }
        Some(_) => cs,
        None => {
            tracing::warn!("the index could not tell a reactivated user's groups; their apps are read again at the next reconciliation");
            cs
        }
    }
}

/// Extracts (or resumes) the apps and their assignments.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    ctx.wait_for_users().await?;
    let only = match ctx.edge_read().await? {
        EdgeRead::Log(cs) => {
            st.mode = crate::connector::state::Mode::LogDriven;
            let cs = with_reactivated_apps(ctx, cs).await;
            Some(Only { since: ctx.sync.since.clone().unwrap_or_default(), changes: cs })
        }
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
            None
        }
    };
    let read = ASSIGNMENT_KINDS.into_iter().filter(|k| st.records.get(*k).is_some_and(|n| *n > 0)).collect();
    let changes = only.as_ref().map(|o| o.changes.clone());
    let f = Apps { ctx, forbidden: Arc::new(Mutex::new(BTreeMap::new())), read: Arc::new(Mutex::new(read)), only };
    for (k, v) in &st.skipped {
        if let Some(kind) = ASSIGNMENT_KINDS.iter().find(|x| *x == k) {
            if let Ok(mut m) = f.forbidden.lock() {
                m.insert(kind, v.clone());
            }
        }
    }
    let start = endpoints::apps::list(&ctx.client);
    fan_out(ctx, st, start, |p| p, &f).await?;
    // Deleted apps and removed assignments, as the events tell them.
    if let Some(cs) = changes {
        let types = ["applications", "app_user_assignments", "app_group_assignments"];
        ctx.send_tombstones(st, cs.tombstones_of(&types)).await?;
    }
    Ok(())
}
