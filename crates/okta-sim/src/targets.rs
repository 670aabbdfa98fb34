//! Role targets: the groups and apps a standard admin role is limited to.
//!
//! Served as Okta's Role Targets API documents them (spec `listGroupTargetsForRole`,
//! `listApplicationTargetsForApplicationAdministratorRoleForUser` and their group-assignee
//! twins): `.../roles/{roleAssignmentId}/targets/groups` lists Group objects and
//! `.../targets/catalog/apps` lists CatalogApplication objects (an app instance carries `id`, an
//! OIN catalog app does not), both paged with `limit` (1 to 200, default 20) and `after`. A role
//! that is not limited answers `[]`. The roles lists take `expand=targets/groups` or
//! `expand=targets/catalog/apps` (the spec's two supported values, one per request), which
//! embeds the targets in `_embedded.targets` of the standard roles that can have them.

use serde_json::{json, Value};

use super::api::{list_of, okta_error, Answer, ApiError, ApiRequest};
use super::model::{AppTarget, Org, RoleAssignment, APP_TARGET_ROLES, GROUP_TARGET_ROLES};
use super::page_size as pages;
use super::render;

/// What `expand` asks the roles list to embed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expand {
    /// `targets/groups`.
    Groups,
    /// `targets/catalog/apps`.
    Apps,
}

/// Reads `expand` on a roles list: absent, `targets/groups` or `targets/catalog/apps`;
/// anything else is a 400.
pub fn expand(r: &ApiRequest) -> Result<Option<Expand>, ApiError> {
    match r.q("expand") {
        None | Some("") => Ok(None),
        Some("targets/groups") => Ok(Some(Expand::Groups)),
        Some("targets/catalog/apps") => Ok(Some(Expand::Apps)),
        Some(_) => Err(okta_error(400, "E0000001", "Api validation failed: expand (targets/groups or targets/catalog/apps)")),
    }
}

/// An app target as a CatalogApplication.
pub fn catalog_app(org: &Org, t: &AppTarget, base: &str) -> Value {
    match t {
        AppTarget::Instance(ai) => {
            let a = &org.apps[*ai as usize];
            json!({"id": a.id, "name": a.name, "displayName": a.label, "description": format!("{} instance", a.label),
                   "status": "ACTIVE", "lastUpdated": super::model::okta_time(&a.last_updated), "category": "CUSTOM",
                   "verificationStatus": "COMMUNITY_CREATED", "website": format!("https://{}.example", a.name),
                   "signOnModes": [a.sign_on_mode], "features": [],
                   "_links": {"logo": [{"name": "medium", "href": format!("{base}/assets/img/logos/{}.png", a.name), "type": "image/png"}]}})
        }
        AppTarget::Catalog(name) => {
            json!({"name": name, "displayName": "Salesforce.com", "description": "Customer relationship management (CRM)",
                   "status": "ACTIVE", "lastUpdated": "2024-09-19T23:37:37.000Z", "category": "CRM",
                   "verificationStatus": "OKTA_VERIFIED", "website": "https://www.salesforce.com/", "signOnModes": ["SAML_2_0"],
                   "features": ["IMPORT_NEW_USERS", "PUSH_NEW_USERS"],
                   "_links": {"logo": [{"name": "medium", "href": format!("{base}/assets/img/logos/{name}.png"), "type": "image/png"}]}})
        }
    }
}

/// A role assignment's JSON with its targets embedded when `expand` asks and the role can
/// have them (an org-wide one embeds an empty list).
pub fn with_targets(org: &Org, mut v: Value, ra: &RoleAssignment, expand: Option<Expand>, base: &str) -> Value {
    match expand {
        Some(Expand::Groups) if GROUP_TARGET_ROLES.contains(&ra.kind.as_str()) => {
            let gs: Vec<Value> = live_groups(org, ra).map(|gi| render::group(org, gi, base, Default::default())).collect();
            v["_embedded"] = json!({"targets": {"groups": gs}});
        }
        Some(Expand::Apps) if APP_TARGET_ROLES.contains(&ra.kind.as_str()) => {
            let apps: Vec<Value> = live_apps(org, ra).map(|t| catalog_app(org, t, base)).collect();
            v["_embedded"] = json!({"targets": {"catalog": {"apps": apps}}});
        }
        _ => {}
    }
    v
}

fn live_groups<'a>(org: &'a Org, ra: &'a RoleAssignment) -> impl Iterator<Item = u32> + 'a {
    ra.group_targets.iter().copied().filter(|g| !org.groups[*g as usize].deleted)
}

fn live_apps<'a>(org: &'a Org, ra: &'a RoleAssignment) -> impl Iterator<Item = &'a AppTarget> + 'a {
    ra.app_targets.iter().filter(|t| match t {
        AppTarget::Instance(a) => !org.apps[*a as usize].deleted,
        AppTarget::Catalog(_) => true,
    })
}

/// `GET .../roles/{roleAssignmentId}/targets/{groups | catalog/apps}` for one assignee's
/// assignments.
pub fn list<'a>(
    org: &'a Org,
    mut assignments: impl Iterator<Item = &'a RoleAssignment>,
    ra_id: &str,
    rest: &[&str],
    r: &ApiRequest,
) -> Result<Answer, ApiError> {
    let ra = assignments
        .find(|x| x.id == ra_id)
        .ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {ra_id} (RoleAssignment)")))?;
    match rest {
        ["groups"] => {
            let items = live_groups(org, ra).map(|g| (org.groups[g as usize].id.clone(), g));
            list_of(items, |g| render::group(org, g, r.base, Default::default()), r, pages::ROLE_TARGETS)
        }
        ["catalog", "apps"] => {
            let key = |t: &AppTarget| match t {
                AppTarget::Instance(a) => format!("{}|{}", org.apps[*a as usize].name, org.apps[*a as usize].id),
                AppTarget::Catalog(n) => format!("{n}|"),
            };
            let mut items: Vec<(String, &AppTarget)> = live_apps(org, ra).map(|t| (key(t), t)).collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            list_of(items.into_iter(), |t| catalog_app(org, t, r.base), r, pages::ROLE_TARGETS)
        }
        _ => Err(okta_error(404, "E0000008", "The requested path was not found")),
    }
}
