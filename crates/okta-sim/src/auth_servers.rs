//! Authorization servers (the default one and custom ones), their policies and the policies'
//! rules, as Okta's API Access Management serves them: `GET /api/v1/authorizationServers`
//! (spec `listAuthorizationServers`: `q`, `limit` up to 200, `after`), then
//! `/{authServerId}/policies` and `/{authServerId}/policies/{policyId}/rules` (no paging
//! parameters in the spec: every item in one answer). Client secrets are no part of these
//! objects, so none is served.

use serde_json::{json, Value};

use super::api::{list_of, okta_error, Answer, ApiError, ApiRequest};
use super::model::{okta_time, AuthServer, AuthServerPolicy, AuthServerRule, Org};
use super::page_size as pages;

/// Renders an authorization server.
pub fn server(s: &AuthServer, base: &str) -> Value {
    let me = format!("{base}/api/v1/authorizationServers/{}", s.id);
    let issuer = format!("{base}/oauth2/{}", if s.name == "default" { "default" } else { s.id.as_str() });
    json!({
        "id": s.id, "name": s.name, "description": s.description, "audiences": s.audiences,
        "issuer": issuer, "issuerMode": "ORG_URL", "status": s.status,
        "created": okta_time(&s.created), "lastUpdated": okta_time(&s.last_updated),
        "credentials": {"signing": {"rotationMode": "AUTO", "lastRotated": okta_time(&s.last_updated),
                                    "nextRotation": okta_time(&(s.last_updated + chrono::Duration::days(90))), "kid": s.kid, "use": "sig"}},
        "_links": {
            "self": {"href": me, "hints": {"allow": ["GET", "DELETE", "PUT"]}},
            "scopes": {"href": format!("{me}/scopes"), "hints": {"allow": ["GET"]}},
            "claims": {"href": format!("{me}/claims"), "hints": {"allow": ["GET"]}},
            "policies": {"href": format!("{me}/policies"), "hints": {"allow": ["GET"]}},
            "metadata": [{"name": "openid-configuration", "href": format!("{issuer}/.well-known/openid-configuration"), "hints": {"allow": ["GET"]}}]
        }
    })
}

/// Renders a policy of `s`.
pub fn policy(s: &AuthServer, p: &AuthServerPolicy, base: &str) -> Value {
    let me = format!("{base}/api/v1/authorizationServers/{}/policies/{}", s.id, p.id);
    json!({
        "type": "OAUTH_AUTHORIZATION_POLICY", "id": p.id, "status": p.status, "name": p.name, "description": p.description,
        "priority": p.priority, "system": p.system, "conditions": {"clients": {"include": p.clients}},
        "created": okta_time(&p.created), "lastUpdated": okta_time(&p.last_updated),
        "_links": {"self": {"href": me, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
                   "deactivate": {"href": format!("{me}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}},
                   "rules": {"href": format!("{me}/rules"), "hints": {"allow": ["GET"]}}}
    })
}

/// Renders a rule of policy `p` of `s`.
pub fn rule(s: &AuthServer, p: &AuthServerPolicy, x: &AuthServerRule, base: &str) -> Value {
    let me = format!("{base}/api/v1/authorizationServers/{}/policies/{}/rules/{}", s.id, p.id, x.id);
    json!({
        "type": "RESOURCE_ACCESS", "id": x.id, "status": x.status, "name": x.name, "priority": x.priority,
        "created": okta_time(&x.created), "lastUpdated": okta_time(&x.created), "system": false,
        "conditions": {"people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
                       "grantTypes": {"include": x.grant_types}, "scopes": {"include": x.scopes}},
        "actions": {"token": {"accessTokenLifetimeMinutes": x.access_token_minutes, "refreshTokenLifetimeMinutes": 0,
                              "refreshTokenWindowMinutes": 10080}},
        "_links": {"self": {"href": me, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
                   "deactivate": {"href": format!("{me}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}}}
    })
}

/// A live authorization server by id.
fn find_server<'a>(org: &'a Org, id: &str) -> Result<&'a AuthServer, ApiError> {
    let live: Vec<&AuthServer> = org.auth_servers.iter().filter(|s| !s.deleted).collect();
    find(&live, id, |s| &s.id, "AuthorizationServer").copied()
}

fn find<'a, T>(items: &'a [T], id: &str, key: impl Fn(&T) -> &str, what: &str) -> Result<&'a T, ApiError> {
    items.iter().find(|x| key(x) == id).ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {id} ({what})")))
}

/// Dispatches `GET /api/v1/authorizationServers/...` (`rest` after that segment).
pub fn dispatch(org: &Org, rest: &[&str], r: &ApiRequest) -> Result<Answer, ApiError> {
    let base = r.base;
    let one = |body: Value| Ok(Answer { raw: None, body, next_after: None });
    match rest {
        [] => {
            let q = r.q("q").map(str::to_lowercase);
            // Servers created later sit at the end of the model: the list is sorted by id here.
            let mut items: Vec<(String, &AuthServer)> = org
                .auth_servers
                .iter()
                .filter(|s| !s.deleted)
                .filter(|s| {
                    q.as_ref()
                        .is_none_or(|q| s.name.to_lowercase().contains(q.as_str()) || s.audiences.iter().any(|a| a.contains(q.as_str())))
                })
                .map(|s| (s.id.clone(), s))
                .collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            list_of(items.into_iter(), |s| server(s, base), r, pages::AUTH_SERVERS)
        }
        [id] => one(server(find_server(org, id)?, base)),
        [id, "policies"] => {
            let s = find_server(org, id)?;
            one(Value::Array(s.policies.iter().map(|p| policy(s, p, base)).collect()))
        }
        [id, "policies", pid, "rules"] => {
            let s = find_server(org, id)?;
            let p = find(&s.policies, pid, |p| &p.id, "Policy")?;
            one(Value::Array(p.rules.iter().map(|x| rule(s, p, x, base)).collect()))
        }
        _ => Err(okta_error(404, "E0000008", "The requested path was not found")),
    }
}
