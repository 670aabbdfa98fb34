//! Deterministic change sets, bumping `lastUpdated` and `lastMembershipUpdated` as Okta does.

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{LogEvent, Org};

/// How much to change.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Mutation {
    /// Users whose profile changes.
    pub users: usize,
    /// Users deactivated (DEPROVISIONED).
    pub deactivate: usize,
    /// Groups whose membership changes.
    pub groups: usize,
    /// New System Log events.
    pub logs: usize,
    /// Devices updated.
    pub devices: usize,
    /// Devices deleted.
    pub delete_devices: usize,
}

impl Default for Mutation {
    fn default() -> Self {
        Mutation { users: 5, deactivate: 2, groups: 3, logs: 20, devices: 3, delete_devices: 1 }
    }
}

/// Applies a change set; returns the ids changed per kind.
pub fn apply(org: &mut Org, m: &Mutation, now: DateTime<Utc>) -> Value {
    org.mutations += 1;
    let mut rng = ChaCha8Rng::seed_from_u64(org.mutations * 7919 + org.users.len() as u64);
    let eligible: Vec<usize> = (0..org.users.len())
        .filter(|i| !matches!(org.users[*i].status.as_str(), "shadow" | "DEPROVISIONED") && *i != org.admin_user as usize)
        .collect();
    let mut users = Vec::new();
    for k in 0..(m.users + m.deactivate).min(eligible.len()) {
        let i = eligible[rng.gen_range(0..eligible.len())];
        let u = &mut org.users[i];
        if k < m.users {
            u.title = Some(format!("Changed title {}", org.mutations));
        } else {
            u.status = "DEPROVISIONED".into();
            u.status_changed = now;
        }
        u.last_updated = now;
        users.push(u.id.clone());
        if let Some(c) = org.user_json.get_mut(i) {
            *c = std::sync::OnceLock::new();
        }
    }
    let mut groups = Vec::new();
    let n_users = org.users.len() as u32;
    for _ in 0..m.groups.min(org.groups.len().saturating_sub(1)) {
        let gi = rng.gen_range(1..org.groups.len());
        let g = &mut org.groups[gi];
        let add = rng.gen_range(0..n_users);
        if let Err(pos) = g.members.binary_search(&add) {
            g.members.insert(pos, add);
        }
        if g.members.len() > 1 {
            let rm = rng.gen_range(0..g.members.len());
            if g.members[rm] != add {
                g.members.remove(rm);
            }
        }
        g.last_membership_updated = now;
        groups.push(g.id.clone());
    }
    let mut logs = Vec::new();
    for _ in 0..m.logs {
        let b: [u8; 16] = rng.gen();
        let uuid = uuid::Builder::from_random_bytes(b).into_uuid().to_string();
        logs.push(uuid.clone());
        org.logs.push(LogEvent {
            uuid,
            published: now,
            event_type: "user.lifecycle.update".into(),
            severity: "INFO".into(),
            actor: org.admin_user,
            target: rng.gen_range(0..n_users),
            ip: "198.51.100.7".into(),
        });
    }
    let mut devices = Vec::new();
    let mut deleted = Vec::new();
    let live: Vec<usize> = (0..org.devices.len()).filter(|i| org.devices[*i].status != "DELETED").collect();
    for (k, i) in live.iter().take(m.devices + m.delete_devices).enumerate() {
        let d = &mut org.devices[*i];
        d.last_updated = now;
        if k >= m.devices {
            d.status = "DELETED".into();
            deleted.push(d.id.clone());
        } else {
            d.status = "SUSPENDED".into();
            devices.push(d.id.clone());
        }
    }
    json!({"users": users, "groups": groups, "logs": logs, "devices": devices, "deleted_devices": deleted})
}
