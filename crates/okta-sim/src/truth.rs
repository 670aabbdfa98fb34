//! Ground truth: what a complete extraction must yield, the seeded secrets, and the fewest
//! API calls a full sync needs at the maximum page sizes with the bulk endpoints that exist.
//!
//! `min_api_calls` is the sum of `min_api_calls_by_family`: users (plain pages + DEPROVISIONED
//! pages); user_types (the types list + one schema per type); groups (pages + member pages of
//! non-empty groups); roles (`/iam/roles` pages + assignee pages + one roles call per assignee
//! and per admin group, with `expand=targets/groups`, + one more per assignee holding an
//! APP_ADMIN role, with `expand=targets/catalog/apps`); apps (pages + user and group pages per
//! app); policies (one call per policy type asked + one rules call per policy whose rules exceed
//! the embed limit); authorization_servers (pages + one policies call per server + one rules
//! call per policy); logs (pages in the window); devices (pages); factors and
//! authenticator_enrollments (one call each per user that can hold them); group_rules,
//! identity_providers and trusted_origins (pages), authenticators and network_zones (one call
//! each); nothing for `app_sign_ins`, which come from the System Log pages.
//!
//! `min_api_calls_by_bucket` spreads the same calls over Okta's rate-limit buckets
//! ([`crate::limits::bucket_for`] of each family's paths): what the floor of a full sync's time
//! is computed from ([`crate::limits::floor`]).
//!
//! `fields` holds, per record, the values of the fields a connector must carry over: see
//! [`fields::fields`].

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use super::gen::SUPPORTED_POLICY_TYPES;
use super::model::{Org, RoleAssignment, APP_TARGET_ROLES};

mod fields;
pub mod posture;
use super::page_size as P;

fn pages(n: usize, size: usize) -> u64 {
    n.div_ceil(size).max(1) as u64
}

/// Policy types the connector asks for (those the org supports and those it does not).
pub const POLICY_TYPES_ASKED: usize = 12;

/// The default System Log window start: 30 days before `now`, at midnight UTC.
pub fn default_log_start(now: DateTime<Utc>) -> DateTime<Utc> {
    (now - Duration::days(30)).date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(now)
}

/// Computes the truth document.
pub fn truth(org: &Org, now: DateTime<Utc>, log_start: Option<NaiveDate>) -> Value {
    // Placeholders and deleted users are not records (deleted ones are listed under `deleted`).
    let shadow: BTreeSet<u32> =
        org.users.iter().enumerate().filter(|(_, u)| u.status == "shadow" || u.deleted).map(|(i, _)| i as u32).collect();
    let uid = |i: &u32| org.users[*i as usize].id.clone();
    let users: Vec<String> = (0..org.users.len() as u32).filter(|i| !shadow.contains(i)).map(|i| uid(&i)).collect();
    let groups: Vec<String> = org.groups.iter().filter(|g| !g.deleted).map(|g| g.id.clone()).collect();
    let members: Vec<String> = org
        .groups
        .iter()
        .filter(|g| !g.deleted)
        .flat_map(|g| g.members.iter().filter(|m| !shadow.contains(m)).map(move |m| format!("{}:{}", g.id, uid(m))))
        .collect();
    let mut roles: BTreeSet<String> = org.custom_roles.iter().map(|r| r.id.clone()).collect();
    let mut role_members = Vec::new();
    for (ui, rs) in &org.user_roles {
        if shadow.contains(ui) {
            continue;
        }
        for r in rs {
            roles.insert(if r.kind == "CUSTOM" { r.role.clone().unwrap_or_default() } else { r.kind.clone() });
            role_members.push(format!("{}:{}", r.id, uid(ui)));
        }
    }
    for (gi, rs) in &org.group_roles {
        for r in rs {
            roles.insert(if r.kind == "CUSTOM" { r.role.clone().unwrap_or_default() } else { r.kind.clone() });
            role_members.push(format!("{}:{}", r.id, org.groups[*gi as usize].id));
        }
    }
    let live_apps = || org.apps.iter().filter(|a| !a.deleted);
    let apps: Vec<String> = live_apps().map(|a| a.id.clone()).collect();
    let app_users: Vec<String> = live_apps()
        .flat_map(|a| a.users.iter().filter(|u| !shadow.contains(&u.user)).map(move |u| format!("{}:{}", a.id, uid(&u.user))))
        .collect();
    let app_groups: Vec<String> =
        live_apps().flat_map(|a| a.groups.iter().map(move |g| format!("{}:{}", a.id, org.groups[g.group as usize].id))).collect();
    let policies: Vec<String> = org.policies.iter().map(|p| p.id.clone()).collect();
    let start = log_start
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or_else(|| default_log_start(now))
        .max(now - Duration::days(90));
    let logs: Vec<String> = org.logs.iter().filter(|e| e.published >= start && e.published < now).map(|e| e.uuid.clone()).collect();
    let devices: Vec<String> = org.devices.iter().filter(|d| d.status != "DELETED").map(|d| d.id.clone()).collect();
    let factors: Vec<String> = org
        .factors
        .iter()
        .filter(|(ui, _)| !shadow.contains(ui) && org.users[**ui as usize].status != "DEPROVISIONED")
        .flat_map(|(ui, fs)| {
            fs.iter().filter(|f| !org.disabled_factor_types.contains(&f.factor_type)).map(move |f| format!("{}:{}", uid(ui), f.id))
        })
        .collect();

    let listed = Listed { groups: groups.len(), apps: apps.len(), logs: logs.len(), devices: devices.len() };
    let by_family = min_calls_by_family(org, &shadow, &listed);
    let min: u64 = by_family.values().filter_map(Value::as_u64).sum();
    let by_bucket = min_calls_by_bucket(org, &by_family);
    let mut extra = fields::record_types(org, &shadow);
    extra.extend(posture::record_types(org, &shadow, start, now));

    let secrets = seeded_secrets(org);
    let rt = |ids: Vec<String>| json!({"count": ids.len(), "ids": ids});
    let mut record_types = json!({
        "users": rt(users), "groups": rt(groups), "group_members": rt(members),
        "iam_roles": rt(roles.into_iter().collect()), "iam_role_members": rt(role_members),
        "applications": rt(apps), "app_user_assignments": rt(app_users), "app_group_assignments": rt(app_groups),
        "policies": rt(policies), "system_logs": rt(logs), "devices": rt(devices), "factors": rt(factors),
    });
    for (k, ids) in extra {
        record_types[k] = rt(ids);
    }
    let deleted: serde_json::Map<String, Value> = org.removed.iter().map(|(k, ids)| (k.clone(), rt(ids.clone()))).collect();
    let mut all_fields = fields::fields(org, &shadow);
    for (k, f) in posture::fields(org, &shadow, start, now) {
        all_fields[k] = Value::Object(f);
    }
    json!({
        "record_types": record_types,
        "fields": all_fields,
        "secrets": secrets,
        "deleted": deleted,
        "min_api_calls": min,
        "min_api_calls_by_family": by_family,
        "min_api_calls_by_bucket": by_bucket,
    })
}

/// The fewest calls of [`min_calls_by_family`] per rate-limit bucket, by Okta's name for it:
/// each family's calls fall in the bucket of its paths, but for roles, whose admin groups' calls
/// (`/groups/{id}/roles`, one per group and one more per group holding an APP_ADMIN role) count
/// in the group-list bucket and the rest (`/iam/*`, `/users/{id}/roles`) in the catch-all.
fn min_calls_by_bucket(org: &Org, by_family: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    use super::limits::bucket_for;
    let app_admin = |rs: &Vec<RoleAssignment>| rs.iter().any(|r| APP_TARGET_ROLES.contains(&r.kind.as_str()));
    let group_roles = (org.group_roles.len() + org.group_roles.values().filter(|rs| app_admin(rs)).count()) as u64;
    let mut by_bucket: std::collections::BTreeMap<&'static str, u64> = std::collections::BTreeMap::new();
    for (family, n) in by_family {
        let n = n.as_u64().unwrap_or(0);
        let path = match family.as_str() {
            "users" => "/api/v1/users",
            "groups" => "/api/v1/groups/{id}/users",
            "apps" => "/api/v1/apps/{id}/users",
            "logs" => "/api/v1/logs",
            "devices" => "/api/v1/devices",
            "group_rules" => "/api/v1/groups/rules",
            "roles" => {
                *by_bucket.entry(bucket_for("/api/v1/groups/{id}/roles").name()).or_default() += group_roles;
                *by_bucket.entry(bucket_for("/api/v1/iam/roles").name()).or_default() += n.saturating_sub(group_roles);
                continue;
            }
            // user types and schemas, policies, authorization servers, factors, enrollments,
            // authenticators, network zones, identity providers, trusted origins
            _ => "/api/v1/users/{id}/factors",
        };
        *by_bucket.entry(bucket_for(path).name()).or_default() += n;
    }
    by_bucket.into_iter().map(|(b, n)| (b.to_string(), json!(n))).collect()
}

/// How many records of the listed families a complete sync lists.
struct Listed {
    groups: usize,
    apps: usize,
    logs: usize,
    devices: usize,
}

/// The fewest API calls a complete full sync needs, per endpoint family (pages at Okta's
/// maximum page sizes, one child call per parent that has children).
fn min_calls_by_family(org: &Org, shadow: &BTreeSet<u32>, listed: &Listed) -> serde_json::Map<String, Value> {
    let deprov = org.users.iter().filter(|u| u.status == "DEPROVISIONED" && !u.deleted).count();
    let visible = org.users.iter().filter(|u| u.status != "DEPROVISIONED" && !u.deleted).count();
    let factor_users = org.users.iter().enumerate().filter(|(i, u)| u.status != "DEPROVISIONED" && !shadow.contains(&(*i as u32))).count();
    let mut by_family: serde_json::Map<String, Value> = serde_json::Map::new();
    let mut family = |name: &str, n: u64| {
        by_family.insert(name.to_string(), json!(n));
    };
    family("users", pages(visible, P::USERS.max) + pages(deprov, P::USERS.max));
    family("user_types", 1 + org.user_types.len() as u64);
    family(
        "groups",
        pages(listed.groups, P::GROUPS_RECOMMENDED)
            + org
                .groups
                .iter()
                .filter(|g| !g.deleted && !g.members.is_empty())
                .map(|g| pages(g.members.len(), P::GROUP_MEMBERS.max))
                .sum::<u64>(),
    );
    // Role targets ride on the roles calls (`expand=targets/groups`); an assignee holding an
    // APP_ADMIN role needs one more (`expand=targets/catalog/apps`).
    let app_admin = |rs: &Vec<RoleAssignment>| rs.iter().any(|r| APP_TARGET_ROLES.contains(&r.kind.as_str()));
    let user_assignees = org.user_roles.iter().filter(|(u, _)| !shadow.contains(u));
    let app_admins =
        user_assignees.clone().filter(|(_, rs)| app_admin(rs)).count() + org.group_roles.values().filter(|rs| app_admin(rs)).count();
    family(
        "roles",
        pages(org.custom_roles.len(), P::IAM_ROLES.max)
            + pages(org.user_roles.len(), P::IAM_ASSIGNEES.max)
            + user_assignees.count() as u64
            + org.group_roles.len() as u64
            + app_admins as u64,
    );
    family(
        "apps",
        pages(listed.apps, P::APPS.max)
            + org
                .apps
                .iter()
                .filter(|a| !a.deleted)
                .map(|a| pages(a.users.len(), P::APP_USERS.max) + pages(a.groups.len(), P::APP_GROUPS.max))
                .sum::<u64>(),
    );
    family("policies", policy_calls(org));
    let servers: Vec<_> = org.auth_servers.iter().filter(|s| !s.deleted).collect();
    family(
        "authorization_servers",
        pages(servers.len(), P::AUTH_SERVERS.max) + servers.len() as u64 + servers.iter().map(|s| s.policies.len() as u64).sum::<u64>(),
    );
    family("logs", pages(listed.logs, P::LOGS.max));
    family("devices", pages(listed.devices, P::DEVICES.max));
    family("factors", factor_users as u64);
    family("authenticator_enrollments", factor_users as u64);
    for (name, n) in posture::min_calls(org) {
        family(name, n);
    }
    by_family
}

/// The fewest policy calls: one list per type asked; a type holding a policy of more than 20
/// rules cannot be listed with `expand=rules` (a 400), so it is listed plain and each of its
/// policies' rules read on their own.
fn policy_calls(org: &Org) -> u64 {
    let big_types: BTreeSet<&str> = org
        .policies
        .iter()
        .filter(|p| p.rules.len() > P::EMBEDDED_RULES && SUPPORTED_POLICY_TYPES.contains(&p.kind.as_str()))
        .map(|p| p.kind.as_str())
        .collect();
    POLICY_TYPES_ASKED as u64 + org.policies.iter().filter(|p| big_types.contains(p.kind.as_str())).count() as u64
}

/// Every secret the generator seeded, so tests can look for them where none may be.
fn seeded_secrets(org: &Org) -> Vec<String> {
    let mut secrets: Vec<String> = Vec::new();
    for a in &org.apps {
        secrets.push(a.secret.clone());
        secrets.push(a.settings_token.clone());
        secrets.extend(a.users.iter().map(|u| u.security_answer.clone()));
    }
    secrets.extend(org.factors.values().flatten().filter_map(|f| f.shared_secret.clone()));
    secrets.extend(org.users.iter().filter_map(|u| u.custom.get("pinHash").and_then(Value::as_str).map(str::to_string)));
    secrets.extend(org.users.iter().filter_map(|u| u.recovery_question.clone()));
    secrets.extend(posture::secrets(org));

    secrets
}
