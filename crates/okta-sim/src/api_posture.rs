//! The group rule and sign-in configuration endpoints: `/api/v1/groups/rules` (paged, one by
//! id), `/api/v1/authenticators` (one page, one by id), `/api/v1/zones`, `/api/v1/idps` and
//! `/api/v1/trustedOrigins` (paged), each in id order with the id as cursor.

use serde_json::Value;

use crate::api::{list_of, okta_error, Answer, ApiError, ApiRequest};
use crate::model::Org;
use crate::page_size as pages;
use crate::render_posture as render;

fn not_found(id: &str, kind: &str) -> ApiError {
    okta_error(404, "E0000007", format!("Not found: Resource not found: {id} ({kind})"))
}

fn one(body: Value) -> Result<Answer, ApiError> {
    Ok(Answer { raw: None, body, next_after: None })
}

/// `expand=groupIdToGroupNameMap`.
fn group_names(r: &ApiRequest) -> bool {
    r.q("expand").is_some_and(|e| e == "groupIdToGroupNameMap")
}

/// Dispatches a GET under one of these families (`segs` after `/api/v1/`); `None` when the
/// path is not theirs.
pub fn dispatch(org: &Org, r: &ApiRequest) -> Option<Result<Answer, ApiError>> {
    let p = &org.posture;
    let base = r.base;
    Some(match r.segs.as_slice() {
        ["groups", "rules"] => {
            let q = r.q("search").map(str::to_lowercase);
            let items = p
                .group_rules
                .iter()
                .filter(|x| !x.deleted && q.as_ref().is_none_or(|q| x.name.to_lowercase().contains(q.as_str())))
                .map(|x| (x.id.clone(), x));
            list_of(items, |x| render::group_rule(org, x, group_names(r)), r, pages::GROUP_RULES)
        }
        ["groups", "rules", id] => match p.group_rules.iter().find(|x| x.id == *id && !x.deleted) {
            Some(x) => one(render::group_rule(org, x, group_names(r))),
            None => Err(not_found(id, "GroupRule")),
        },
        ["authenticators"] => one(Value::Array(p.authenticators.iter().map(|a| render::authenticator(a, base)).collect())),
        ["authenticators", id] => match p.authenticators.iter().find(|a| a.id == *id) {
            Some(a) => one(render::authenticator(a, base)),
            None => Err(not_found(id, "Authenticator")),
        },
        ["zones"] => list_of(p.zones.iter().map(|z| (z.id.clone(), z)), |z| render::zone(z, base), r, pages::ZONES),
        ["idps"] => {
            let items = p.idps.iter().filter(|i| r.q("type").is_none_or(|t| t == i.kind)).map(|i| (i.id.clone(), i));
            list_of(items, |i| render::idp(org, i, base), r, pages::IDPS)
        }
        ["trustedOrigins"] => {
            let items = p.trusted_origins.iter().filter(|t| !t.deleted).map(|t| (t.id.clone(), t));
            list_of(items, |t| render::trusted_origin(t, base), r, pages::TRUSTED_ORIGINS)
        }
        _ => return None,
    })
}
