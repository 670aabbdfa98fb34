//! Rendering group rules and the sign-in configuration as Okta's JSON (shapes and link sets of
//! the OpenAPI document's examples: `ListGroupRulesExample`, `OrgAuthenticatorsEx`,
//! `RetrieveAllZones`, `MultipleIdPsResponse`, `TrustedOriginsResponse`). Secrets are served
//! where Okta serves them: an IdP's `protocol.credentials.client.client_secret`, Duo's
//! `provider.configuration.secretKey`.

use serde_json::{json, Map, Value};

use crate::model::{okta_time, Authenticator, GroupRule, IdentityProvider, NetworkZone, Org, TrustedOrigin};

fn href(url: String, allow: &[&str]) -> Value {
    json!({"href": url, "hints": {"allow": allow}})
}

/// A group rule; `names` embeds `groupIdToGroupNameMap` (`expand=groupIdToGroupNameMap`).
pub fn group_rule(org: &Org, r: &GroupRule, names: bool) -> Value {
    let groups: Vec<&crate::model::Group> = r.groups.iter().map(|g| &org.groups[*g as usize]).filter(|g| !g.deleted).collect();
    let exclude: Vec<&str> = r.exclude.iter().map(|u| &org.users[*u as usize]).filter(|u| !u.deleted).map(|u| u.id.as_str()).collect();
    let mut v = json!({
        "type": "group_rule", "id": r.id, "status": r.status, "name": r.name,
        "created": okta_time(&r.created), "lastUpdated": okta_time(&r.last_updated),
        "conditions": {"people": {"users": {"exclude": exclude}, "groups": {"exclude": []}},
                       "expression": {"value": r.expression, "type": "urn:okta:expression:1.0"}},
        "actions": {"assignUserToGroups": {"groupIds": groups.iter().map(|g| g.id.as_str()).collect::<Vec<_>>()}}
    });
    if names {
        let map: Map<String, Value> = groups.iter().map(|g| (g.id.clone(), json!(g.name))).collect();
        v["_embedded"] = json!({"groupIdToGroupNameMap": map});
    }
    v
}

/// An authenticator, with the lifecycle link its status allows.
pub fn authenticator(a: &Authenticator, base: &str) -> Value {
    let me = format!("{base}/api/v1/authenticators/{}", a.id);
    let mut links = json!({"self": href(me.clone(), &["GET", "PUT"]), "methods": href(format!("{me}/methods"), &["GET"])});
    if a.key != "okta_password" {
        let (rel, path) = if a.status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
        links[rel] = href(format!("{me}/lifecycle/{path}"), &["POST"]);
    }
    let mut v = json!({
        "type": a.kind, "id": a.id, "key": a.key, "status": a.status, "name": a.name,
        "created": okta_time(&a.created), "lastUpdated": okta_time(&a.last_updated),
    });
    if let Some(s) = &a.settings {
        v["settings"] = s.clone();
    }
    if let Some(p) = &a.provider {
        v["provider"] = p.clone();
    }
    v["_links"] = links;
    v
}

/// A network zone: an IP zone's gateways (the blocklist's none as proxies), a dynamic zone's
/// locations.
pub fn zone(z: &NetworkZone, base: &str) -> Value {
    let me = format!("{base}/api/v1/zones/{}", z.id);
    let (rel, path) = if z.status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
    let mut v = json!({
        "type": z.kind, "id": z.id, "name": z.name, "status": z.status, "usage": z.usage,
        "created": okta_time(&z.created), "lastUpdated": okta_time(&z.last_updated), "system": z.system,
    });
    if z.kind == "IP" {
        v["gateways"] = json!(z.gateways.iter().map(|c| json!({"type": "CIDR", "value": c})).collect::<Vec<_>>());
        v["proxies"] = Value::Null;
    } else {
        v["locations"] = json!(z.countries.iter().map(|c| json!({"country": c})).collect::<Vec<_>>());
        v["proxyType"] = json!("Any");
        v["asns"] = json!([]);
    }
    v["_links"] = json!({"self": href(me.clone(), &["GET", "PUT", "DELETE"]), rel: href(format!("{me}/lifecycle/{path}"), &["POST"])});
    v
}

/// An identity provider: a SAML 2.0 one with its endpoints and trust, an OAuth-based one with
/// its client credentials (the secret included, as Okta returns it).
pub fn idp(org: &Org, i: &IdentityProvider, base: &str) -> Value {
    let me = format!("{base}/api/v1/idps/{}", i.id);
    let protocol = match &i.client_secret {
        None => json!({"type": "SAML2",
            "endpoints": {"sso": {"url": format!("https://idp.partner.example/sso/{}", i.id), "binding": "HTTP-POST", "destination": "https://idp.partner.example/sso"},
                          "acs": {"binding": "HTTP-POST", "type": "INSTANCE"}},
            "algorithms": {"request": {"signature": {"algorithm": "SHA-256", "scope": "REQUEST"}}, "response": {"signature": {"algorithm": "SHA-256", "scope": "ANY"}}},
            "settings": {"nameFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
            "credentials": {"trust": {"issuer": "https://idp.partner.example", "audience": format!("https://www.okta.com/saml2/service-provider/{}", org.org_id), "kid": format!("sim-kid-{}", i.id)}}}),
        Some(secret) => json!({"type": if i.kind == "OIDC" || i.kind == "GOOGLE" || i.kind == "MICROSOFT" { "OIDC" } else { "OAUTH2" },
            "endpoints": {"authorization": {"url": "https://login.idp.example/authorize", "binding": "HTTP-REDIRECT"},
                          "token": {"url": "https://login.idp.example/token", "binding": "HTTP-POST"}},
            "scopes": ["openid", "profile", "email"],
            "credentials": {"client": {"client_id": i.client_id, "client_secret": secret}}}),
    };
    let template = if i.client_secret.is_none() { "saml.subjectNameId" } else { "idpuser.email" };
    let (rel, path) = if i.status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
    json!({
        "id": i.id, "type": i.kind, "name": i.name, "status": i.status, "issuerMode": "ORG_URL",
        "created": okta_time(&i.created), "lastUpdated": okta_time(&i.last_updated),
        "protocol": protocol,
        "policy": {"provisioning": {"action": "AUTO", "profileMaster": false, "groups": {"action": "NONE"},
                                    "conditions": {"deprovisioned": {"action": "NONE"}, "suspended": {"action": "NONE"}}},
                   "accountLink": {"filter": null, "action": "AUTO"},
                   "subject": {"userNameTemplate": {"template": template}, "filter": null, "matchType": "USERNAME"},
                   "mapAMRClaims": false, "trustClaims": false, "maxClockSkew": 120000},
        "_links": {"self": {"href": me}, "users": href(format!("{me}/users"), &["GET"]),
                   rel: href(format!("{me}/lifecycle/{path}"), &["POST"])}
    })
}

/// A trusted origin.
pub fn trusted_origin(t: &TrustedOrigin, base: &str) -> Value {
    let me = format!("{base}/api/v1/trustedOrigins/{}", t.id);
    let (rel, path) = if t.status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
    json!({
        "id": t.id, "name": t.name, "origin": t.origin, "status": t.status,
        "scopes": t.scopes.iter().map(|s| json!({"type": s})).collect::<Vec<_>>(),
        "created": okta_time(&t.created), "createdBy": t.created_by,
        "lastUpdated": okta_time(&t.last_updated), "lastUpdatedBy": t.created_by,
        "_links": {"self": href(me.clone(), &["GET", "PUT", "DELETE"]), rel: href(format!("{me}/lifecycle/{path}"), &["POST"])}
    })
}
