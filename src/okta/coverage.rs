//! The endpoints of the coverage families, in the style of [`super::endpoints`]: user types and
//! their schemas, authorization servers with their policies and rules, admin role targets, and
//! authenticator enrollments. Each function owns its path, query parameters, page size (at
//! Okta's maximum) and the meaning of its error codes; jobs never build these paths.
//!
//! List functions return the URL of the first page (walk it with a [`super::Pager`]); `fetch_*`
//! functions GET and type the answer.

use serde_json::Value;
use url::Url;

use super::client::OktaClient;
use super::error::Error;

/// GETs a URL whose answer is one JSON array (not paged).
async fn fetch_array(client: &OktaClient, url: &Url) -> Result<Vec<Value>, Error> {
    match client.get(url).await?.body {
        Value::Array(a) => Ok(a),
        _ => Err(Error::BadBody { endpoint: format!("GET {}", url.path()), detail: "expected a JSON array".into() }),
    }
}

/// An id taken from a link or a record, checked to be one path segment of letters, digits,
/// `-` and `_` (so it cannot change the path it is put into).
fn id_segment(id: &str, endpoint: &str) -> Result<String, Error> {
    if !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(id.to_string())
    } else {
        Err(Error::BadBody { endpoint: endpoint.to_string(), detail: "an id that is not a plain path segment".into() })
    }
}

/// User types (`/api/v1/meta/types/user`) and each type's schema.
pub mod user_types {
    use super::*;

    /// The path of the type list.
    pub const LIST_PATH: &str = "/api/v1/meta/types/user";
    /// The path under which user schemas live.
    pub const SCHEMA_PATH: &str = "/api/v1/meta/schemas/user";

    /// The user types (one JSON array, not paged: an org holds at most a few dozen).
    pub fn list(client: &OktaClient) -> Url {
        client.url(LIST_PATH, &[])
    }

    /// Fetches the user types.
    pub async fn fetch(client: &OktaClient) -> Result<Vec<Value>, Error> {
        fetch_array(client, &list(client)).await
    }

    /// The schema of one user type: the schema id is the last segment of the type's
    /// `_links.schema.href` (Okta's schema ids, `osc…`, differ from type ids); a default type
    /// without that link uses `default`. The URL is built on the org's origin, never taken from
    /// the link as is.
    pub fn schema_url(client: &OktaClient, user_type: &Value) -> Result<Url, Error> {
        let from_link = user_type.pointer("/_links/schema/href").and_then(Value::as_str).and_then(|h| {
            let path = h.split(['?', '#']).next().unwrap_or("");
            path.trim_end_matches('/').rsplit('/').next().map(str::to_string)
        });
        let is_default = user_type.get("default").and_then(Value::as_bool) == Some(true);
        let schema_id = match from_link {
            Some(id) => id,
            None if is_default => "default".to_string(),
            None => {
                return Err(Error::BadBody { endpoint: format!("GET {LIST_PATH}"), detail: "a user type without a schema link".into() })
            }
        };
        let id = id_segment(&schema_id, &format!("GET {LIST_PATH}"))?;
        Ok(client.url(&format!("{SCHEMA_PATH}/{id}"), &[]))
    }

    /// Fetches one user type's schema (custom attributes under `definitions.custom`).
    pub async fn fetch_schema(client: &OktaClient, user_type: &Value) -> Result<Value, Error> {
        Ok(client.get(&schema_url(client, user_type)?).await?.body)
    }

    /// The type list and each type's schema: one call plus one per type, the fewest there are.
    pub async fn fetch_with_schemas(client: &OktaClient) -> Result<Vec<(Value, Value)>, Error> {
        let mut out = Vec::new();
        for t in fetch(client).await? {
            let schema = fetch_schema(client, &t).await?;
            out.push((t, schema));
        }
        Ok(out)
    }

    /// 404 or E0000015 on the type list: this org or token has no user types API; read the
    /// default schema alone (`endpoints::schemas::user_default`) instead. A 403 is a
    /// permission gap, for the job's usual 403 rule.
    pub fn not_available(e: &Error) -> bool {
        matches!(e, Error::NotFound { .. }) || e.feature_unavailable()
    }
}

/// Custom authorization servers (API Access Management), their policies and the policies' rules.
pub mod auth_servers {
    use super::*;

    /// Servers per page (Okta's maximum is 200).
    pub const PAGE_SIZE: &str = "200";

    /// The authorization server list (paged with `after` through the `Link` header).
    pub fn list(client: &OktaClient) -> Url {
        client.url("/api/v1/authorizationServers", &[("limit", PAGE_SIZE)])
    }

    /// One server's policies (one JSON array: Okta documents no paging for it).
    pub fn policies(client: &OktaClient, server_id: &str) -> Result<Url, Error> {
        let id = id_segment(server_id, "GET /api/v1/authorizationServers")?;
        Ok(client.url(&format!("/api/v1/authorizationServers/{id}/policies"), &[]))
    }

    /// One policy's rules (one JSON array: Okta documents no paging for it).
    pub fn rules(client: &OktaClient, server_id: &str, policy_id: &str) -> Result<Url, Error> {
        let endpoint = "GET /api/v1/authorizationServers/{id}/policies";
        let (s, p) = (id_segment(server_id, endpoint)?, id_segment(policy_id, endpoint)?);
        Ok(client.url(&format!("/api/v1/authorizationServers/{s}/policies/{p}/rules"), &[]))
    }

    /// Fetches one server's policies.
    pub async fn fetch_policies(client: &OktaClient, server_id: &str) -> Result<Vec<Value>, Error> {
        fetch_array(client, &policies(client, server_id)?).await
    }

    /// Fetches one policy's rules.
    pub async fn fetch_rules(client: &OktaClient, server_id: &str, policy_id: &str) -> Result<Vec<Value>, Error> {
        fetch_array(client, &rules(client, server_id, policy_id)?).await
    }

    /// On the list: 404, or E0000015 (the org has no API Access Management licence): the
    /// family is not available here, a skip rather than a failure.
    pub fn not_available(e: &Error) -> bool {
        matches!(e, Error::NotFound { .. }) || e.feature_unavailable()
    }
}

/// Admin role targets: the groups and apps a standard role is limited to.
pub mod role_targets {
    use super::*;

    /// Targets per page on the targets endpoints (Okta's maximum is 200).
    pub const PAGE_SIZE: &str = "200";
    /// Standard role types that can be limited to groups.
    pub const GROUP_TARGET_ROLES: &[&str] = &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"];
    /// Standard role types that can be limited to apps.
    pub const APP_TARGET_ROLES: &[&str] = &["APP_ADMIN"];

    /// Who holds the role.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Assignee<'a> {
        /// A user, by id.
        User(&'a str),
        /// A group, by id.
        Group(&'a str),
    }

    impl Assignee<'_> {
        fn roles_path(&self) -> Result<String, Error> {
            let (kind, id) = match self {
                Assignee::User(id) => ("users", id),
                Assignee::Group(id) => ("groups", id),
            };
            let id = id_segment(id, &format!("GET /api/v1/{kind}/{{id}}/roles"))?;
            Ok(format!("/api/v1/{kind}/{id}/roles"))
        }
    }

    /// The kind of target.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// Groups (`targets/groups`).
        Groups,
        /// Apps: instances and whole catalog apps (`targets/catalog/apps`).
        Apps,
    }

    impl Kind {
        /// The path suffix and `expand` value Okta documents for this kind.
        pub const fn segment(self) -> &'static str {
            match self {
                Kind::Groups => "targets/groups",
                Kind::Apps => "targets/catalog/apps",
            }
        }

        /// Whether a role of `role_type` can be limited by targets of this kind.
        pub fn applies_to(self, role_type: &str) -> bool {
            match self {
                Kind::Groups => GROUP_TARGET_ROLES.contains(&role_type),
                Kind::Apps => APP_TARGET_ROLES.contains(&role_type),
            }
        }
    }

    /// Whether an assignment of an assignee's roles list is held directly: a user's list also
    /// shows the roles of their groups (`assignmentType: GROUP`), which are read on the group.
    pub fn is_direct(assignment: &Value, assignee: Assignee<'_>) -> bool {
        matches!(assignee, Assignee::Group(_)) || assignment.get("assignmentType").and_then(Value::as_str).unwrap_or("USER") == "USER"
    }

    /// Whether any role the assignee holds directly (in its roles list) can have targets of
    /// `kind`: the second roles call (`expand=targets/catalog/apps`) is made only when this
    /// holds for apps.
    pub fn any_can_have(roles: &[Value], assignee: Assignee<'_>, kind: Kind) -> bool {
        roles.iter().filter(|r| is_direct(r, assignee)).any(|r| r.get("type").and_then(Value::as_str).is_some_and(|t| kind.applies_to(t)))
    }

    /// An assignee's roles with the targets of `kind` embedded (`_embedded.targets`). Okta takes
    /// one `expand` value per request: asking both at once is a 400.
    pub fn roles_expanded(client: &OktaClient, assignee: Assignee<'_>, kind: Kind) -> Result<Url, Error> {
        Ok(client.url(&assignee.roles_path()?, &[("expand", kind.segment())]))
    }

    /// Fetches an assignee's roles with the targets of `kind` embedded (one JSON array).
    pub async fn fetch_roles_expanded(client: &OktaClient, assignee: Assignee<'_>, kind: Kind) -> Result<Vec<Value>, Error> {
        fetch_array(client, &roles_expanded(client, assignee, kind)?).await
    }

    /// The targets of `kind` of one role assignment (paged; a role that is not limited answers
    /// `[]`). The fallback when the expanded list is not enough.
    pub fn list(client: &OktaClient, assignee: Assignee<'_>, role_assignment_id: &str, kind: Kind) -> Result<Url, Error> {
        let ra = id_segment(role_assignment_id, "GET /api/v1/{kind}/{id}/roles")?;
        Ok(client.url(&format!("{}/{ra}/{}", assignee.roles_path()?, kind.segment()), &[("limit", PAGE_SIZE)]))
    }

    /// Fetches every target of `kind` of one role assignment, walking its pages.
    pub async fn fetch(client: &OktaClient, assignee: Assignee<'_>, role_assignment_id: &str, kind: Kind) -> Result<Vec<Value>, Error> {
        super::super::paging::collect_as::<Value, Value>(client, list(client, assignee, role_assignment_id, kind)?, Some).await
    }

    /// 404 on a targets call: the role assignment (or its assignee) is gone; skip it.
    pub fn assignment_gone(e: &Error) -> bool {
        matches!(e, Error::NotFound { .. })
    }
}

/// Identity Engine authenticator enrollments, per user.
pub mod enrollments {
    use super::*;

    /// One user's authenticator enrollments (not paged: every enrollment in one answer). Phone
    /// numbers come masked, as Okta serves them unless `discloseIdentifiers` asks otherwise,
    /// which is never asked.
    pub fn list(client: &OktaClient, user_id: &str) -> Result<Url, Error> {
        let id = id_segment(user_id, "GET /api/v1/users/{id}/authenticator-enrollments")?;
        Ok(client.url(&format!("/api/v1/users/{id}/authenticator-enrollments"), &[]))
    }

    /// Fetches one user's enrollments. Okta's spec types the answer as one object while its
    /// example is a list: both are read (an object is a list of one).
    pub async fn fetch(client: &OktaClient, user_id: &str) -> Result<Vec<Value>, Error> {
        let url = list(client, user_id)?;
        match client.get(&url).await?.body {
            Value::Array(a) => Ok(a),
            o @ Value::Object(_) => Ok(vec![o]),
            _ => Err(Error::BadBody { endpoint: format!("GET {}", url.path()), detail: "expected a JSON array".into() }),
        }
    }

    /// E0000015 (a Classic Engine org, or not licensed), or 404 E0000008 (the path itself is
    /// unknown): the org offers no authenticator enrollments; the family is skipped and the
    /// factors stay the inventory.
    pub fn not_available(e: &Error) -> bool {
        e.feature_unavailable() || matches!(e, Error::NotFound { code, .. } if code == PATH_NOT_FOUND)
    }

    /// Any other 404 (E0000007): that user is gone; skip them.
    pub fn user_gone(e: &Error) -> bool {
        matches!(e, Error::NotFound { code, .. } if code != PATH_NOT_FOUND)
    }

    /// Okta's errorCode for "The requested path was not found".
    pub const PATH_NOT_FOUND: &str = "E0000008";
}
