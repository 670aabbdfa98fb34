//! The truth's newer record types and the per-record field values a connector must carry over.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::model::{okta_time, AppTarget, Org, RoleAssignment};

fn live_targets(org: &Org, ra: &RoleAssignment) -> (Vec<String>, Vec<String>) {
    let groups = ra.group_targets.iter().map(|g| &org.groups[*g as usize]).filter(|g| !g.deleted).map(|g| g.id.clone()).collect();
    let apps = ra
        .app_targets
        .iter()
        .filter_map(|t| match t {
            AppTarget::Instance(a) => Some(&org.apps[*a as usize]).filter(|a| !a.deleted).map(|a| a.id.clone()),
            AppTarget::Catalog(name) => Some(name.clone()),
        })
        .collect();
    (groups, apps)
}

/// Visible role assignments: (assignment, assignee is a user).
fn assignments<'a>(org: &'a Org, shadow: &'a BTreeSet<u32>) -> impl Iterator<Item = &'a RoleAssignment> + 'a {
    let users = org.user_roles.iter().filter(|(u, _)| !shadow.contains(u)).flat_map(|(_, rs)| rs);
    let groups = org.group_roles.iter().filter(|(g, _)| !org.groups[**g as usize].deleted).flat_map(|(_, rs)| rs);
    users.chain(groups)
}

/// Record types added for the coverage of user types, authorization servers, role targets and
/// authenticator enrollments, as (name, ids):
/// - `user_types`: type ids (`oty...`);
/// - `authorization_servers`: server ids; `authorization_server_policies`: policy ids;
///   `authorization_server_policy_rules`: rule ids;
/// - `role_targets`: `roleAssignmentId:groupId`, `roleAssignmentId:appInstanceId` or
///   `roleAssignmentId:catalogAppName`;
/// - `authenticator_enrollments`: `userId:enrollmentId` for users that can hold them.
pub fn record_types(org: &Org, shadow: &BTreeSet<u32>) -> Vec<(&'static str, Vec<String>)> {
    let types = org.user_types.iter().map(|t| t.id.clone()).collect();
    let live = || org.auth_servers.iter().filter(|s| !s.deleted);
    let servers = live().map(|s| s.id.clone()).collect();
    let policies = live().flat_map(|s| s.policies.iter().map(|p| p.id.clone())).collect();
    let rules = live().flat_map(|s| s.policies.iter().flat_map(|p| p.rules.iter().map(|r| r.id.clone()))).collect();
    let mut targets = Vec::new();
    for ra in assignments(org, shadow) {
        let (gs, apps) = live_targets(org, ra);
        targets.extend(gs.into_iter().chain(apps).map(|t| format!("{}:{t}", ra.id)));
    }
    let enrollments = org
        .enrollments
        .iter()
        .filter(|(ui, _)| !shadow.contains(ui) && org.users[**ui as usize].status != "DEPROVISIONED")
        .flat_map(|(ui, es)| es.iter().map(move |e| format!("{}:{}", org.users[*ui as usize].id, e.id)))
        .collect();
    vec![
        ("user_types", types),
        ("authorization_servers", servers),
        ("authorization_server_policies", policies),
        ("authorization_server_policy_rules", rules),
        ("role_targets", targets),
        ("authenticator_enrollments", enrollments),
    ]
}

/// Per-record values, keyed by record type and id:
/// - `users.{id}`: `user_type` (type id), `user_type_name`, `credentials_provider_type`,
///   `credentials_provider_name`, `status`, `email`, `last_updated`;
/// - `app_user_assignments.{appId:userId}`: `scope`, `status`, `role` (the app profile's),
///   `last_updated`;
/// - `authenticator_enrollments.{userId:enrollmentId}`: `identifier` (an email enrollment's
///   address, a phone enrollment's number), `last_updated`;
/// - `authorization_servers.{id}`: `status`, `last_updated`;
/// - `user_types.{id}`: `name`, `schema_id`, `default`, `attributes` (custom attribute name to
///   its JSON Schema type);
/// - `groups.{id}`: `type`, `source_app_id` (null unless an APP_GROUP; the app its
///   `_links.source` names, which stays after that app is deleted);
/// - `devices.{id}`: `users` (user id to `managementStatus` and `screenLockType`), `status`,
///   `last_updated`;
/// - `role_assignments.{id}`: `type`, `scope` (`ALL` or `LIMITED`), `target_groups`,
///   `target_apps` (app ids, or catalog names for whole catalog apps).
pub fn fields(org: &Org, shadow: &BTreeSet<u32>) -> Value {
    let mut users = Map::new();
    for (_, u) in org.users.iter().enumerate().filter(|(i, _)| !shadow.contains(&(*i as u32))) {
        let t = org.user_types.get(u.type_index);
        users.insert(
            u.id.clone(),
            json!({"user_type": t.map(|t| &t.id), "user_type_name": t.map(|t| &t.name),
                   "credentials_provider_type": u.provider.kind, "credentials_provider_name": u.provider.name,
                   "status": u.status, "email": u.email.as_deref().unwrap_or(&u.login),
                   "last_updated": crate::model::okta_time(&u.last_updated)}),
        );
    }
    let types: Map<String, Value> = org
        .user_types
        .iter()
        .map(|t| {
            let attrs: Map<String, Value> = t.attributes.iter().map(|(n, s)| (n.clone(), s["type"].clone())).collect();
            (t.id.clone(), json!({"name": t.name, "schema_id": t.schema_id, "default": t.default, "attributes": attrs}))
        })
        .collect();
    let groups: Map<String, Value> =
        org.groups.iter().filter(|g| !g.deleted).map(|g| (g.id.clone(), json!({"type": g.kind, "source_app_id": g.source_app}))).collect();
    let devices: Map<String, Value> = org
        .devices
        .iter()
        .filter(|d| d.status != "DELETED")
        .map(|d| {
            let us: Map<String, Value> = d
                .users
                .iter()
                .zip(&d.posture)
                .map(|(u, (m, l))| (org.users[*u as usize].id.clone(), json!({"managementStatus": m, "screenLockType": l})))
                .collect();
            (d.id.clone(), json!({"users": us, "status": d.status, "last_updated": crate::model::okta_time(&d.last_updated)}))
        })
        .collect();
    let roles: Map<String, Value> = assignments(org, shadow)
        .map(|ra| {
            let (gs, apps) = live_targets(org, ra);
            let limited = !gs.is_empty() || !apps.is_empty();
            (
                ra.id.clone(),
                json!({"type": ra.kind, "scope": if limited { "LIMITED" } else { "ALL" }, "target_groups": gs, "target_apps": apps}),
            )
        })
        .collect();
    json!({"users": users, "user_types": types, "groups": groups, "devices": devices, "role_assignments": roles,
           "app_user_assignments": assignments_fields(org, shadow), "authenticator_enrollments": enrollment_fields(org, shadow),
           "authorization_servers": server_fields(org)})
}

/// `app_user_assignments.{appId:userId}`: scope, status, profile role, last updated.
fn assignments_fields(org: &Org, shadow: &BTreeSet<u32>) -> Map<String, Value> {
    let mut out = Map::new();
    for a in org.apps.iter().filter(|a| !a.deleted) {
        for au in a.users.iter().filter(|au| !shadow.contains(&au.user)) {
            out.insert(
                format!("{}:{}", a.id, org.users[au.user as usize].id),
                json!({"scope": au.scope, "status": au.status, "role": au.role, "last_updated": okta_time(&au.last_updated)}),
            );
        }
    }
    out
}

/// `authenticator_enrollments.{userId:enrollmentId}`: identifier and last updated, for the
/// users whose enrollments are records.
fn enrollment_fields(org: &Org, shadow: &BTreeSet<u32>) -> Map<String, Value> {
    let mut out = Map::new();
    for (ui, es) in org.enrollments.iter().filter(|(ui, _)| !shadow.contains(ui) && org.users[**ui as usize].status != "DEPROVISIONED") {
        for e in es {
            out.insert(
                format!("{}:{}", org.users[*ui as usize].id, e.id),
                json!({"identifier": e.identifier, "last_updated": okta_time(&e.last_updated)}),
            );
        }
    }
    out
}

/// `authorization_servers.{id}`: status and last updated.
fn server_fields(org: &Org) -> Map<String, Value> {
    org.auth_servers
        .iter()
        .filter(|s| !s.deleted)
        .map(|s| (s.id.clone(), json!({"status": s.status, "last_updated": okta_time(&s.last_updated)})))
        .collect()
}
