//! Every Okta endpoint the connector reads, in one place: its path, its query parameters, its
//! page size and what its error codes mean. Jobs ask for "the user list filtered by X" and
//! never build a path, pick a page size or read an errorCode themselves.
//!
//! List functions return the URL of the first page (walk it with a [`super::Pager`]; a stored
//! cursor replaces it on resume). Single-object functions fetch and type the answer.

use serde::Deserialize;
use url::Url;

use super::client::OktaClient;
use super::error::Error;

/// Users: `/api/v1/users` and the per-user sub-resources.
pub mod users {
    use super::*;

    /// Users per page (Okta's maximum for the list is 200).
    pub const PAGE_SIZE: &str = "200";

    /// The user list: the plain list (which hides DEPROVISIONED users) or a filtered one.
    pub fn list(client: &OktaClient, filter: Option<&str>) -> Url {
        match filter {
            Some(f) => client.url("/api/v1/users", &[("filter", f), ("limit", PAGE_SIZE)]),
            None => client.url("/api/v1/users", &[("limit", PAGE_SIZE)]),
        }
    }

    /// The deactivated users, which the plain list leaves out.
    pub fn deprovisioned(client: &OktaClient) -> Url {
        list(client, Some("status eq \"DEPROVISIONED\""))
    }

    /// One user's enrolled factors (one JSON array, not paged).
    pub fn factors(client: &OktaClient, user_id: &str) -> Url {
        client.url(&format!("/api/v1/users/{user_id}/factors"), &[])
    }

    /// One user's directly assigned admin roles (one JSON array).
    pub fn roles(client: &OktaClient, user_id: &str) -> Url {
        client.url(&format!("/api/v1/users/{user_id}/roles"), &[])
    }

    /// The token's own user: the token check.
    pub fn me(client: &OktaClient) -> Url {
        client.url(TOKEN_CHECK_PATH, &[])
    }

    /// The path of the token check: a 401 here, and only here, proves the token is bad.
    pub const TOKEN_CHECK_PATH: &str = "/api/v1/users/me";

    /// The part of the token's user that Test Connection shows.
    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct Me {
        /// The profile.
        pub profile: MeProfile,
    }

    /// The profile of [`Me`].
    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct MeProfile {
        /// The login.
        pub login: Option<String>,
    }

    /// Fetches the token's own user.
    pub async fn fetch_me(client: &OktaClient) -> Result<Me, Error> {
        fetch_as(client, &me(client)).await
    }

    /// The credential check: `/users/me` for an API token; for a service app, whose token has
    /// no user, `/api/v1/org` (scope `okta.orgs.read`). `Ok` means the credential works.
    pub async fn check_credential(client: &OktaClient) -> Result<(), Error> {
        if client.is_oauth() {
            super::org::fetch(client).await.map(|_| ())
        } else {
            fetch_me(client).await.map(|_| ())
        }
    }

    /// Whether `e` happened on the credential check itself (so it proves the credential bad).
    pub fn on_credential_check(client: &OktaClient, e: &Error) -> bool {
        let path = if client.is_oauth() { super::org::PATH } else { TOKEN_CHECK_PATH };
        e.endpoint() == format!("GET {path}") || e.endpoint() == crate::okta::oauth::TOKEN_ENDPOINT
    }
}

/// Groups: `/api/v1/groups` and the per-group sub-resources.
pub mod groups {
    use super::*;

    /// Groups per page.
    pub const PAGE_SIZE: &str = "200";
    /// Members per page (Okta's maximum for group members is 1000).
    pub const MEMBERS_PAGE_SIZE: &str = "1000";

    /// The group list with `expand=stats` (member counts, admin flag), optionally filtered.
    pub fn list(client: &OktaClient, filter: Option<&str>) -> Url {
        match filter {
            Some(f) => client.url("/api/v1/groups", &[("filter", f), ("limit", PAGE_SIZE), ("expand", "stats")]),
            None => client.url("/api/v1/groups", &[("limit", PAGE_SIZE), ("expand", "stats")]),
        }
    }

    /// One group's members.
    pub fn members(client: &OktaClient, group_id: &str) -> Url {
        client.url(&format!("/api/v1/groups/{group_id}/users"), &[("limit", MEMBERS_PAGE_SIZE)])
    }

    /// The admin roles assigned to one group (one JSON array).
    pub fn roles(client: &OktaClient, group_id: &str) -> Url {
        client.url(&format!("/api/v1/groups/{group_id}/roles"), &[])
    }
}

/// IAM: custom roles and the users that hold any role.
pub mod iam {
    use super::*;

    /// Role assignees per page.
    pub const ASSIGNEES_PAGE_SIZE: &str = "100";

    /// Custom roles (`{"roles": [...]}`, paged through `_links.next`). Needs a licence: 403,
    /// 404 or 401 E0000015 mean "not available here", not a broken sync.
    pub fn custom_roles(client: &OktaClient) -> Url {
        client.url("/api/v1/iam/roles", &[])
    }

    /// Users holding at least one admin role (`{"value": [...]}`).
    pub fn role_assignees(client: &OktaClient) -> Url {
        client.url("/api/v1/iam/assignees/users", &[("limit", ASSIGNEES_PAGE_SIZE)])
    }
}

/// Applications and their assignments.
pub mod apps {
    use super::*;

    /// Apps per page.
    pub const PAGE_SIZE: &str = "200";
    /// App users per page (Okta's maximum is 500).
    pub const USERS_PAGE_SIZE: &str = "500";
    /// App groups per page.
    pub const GROUPS_PAGE_SIZE: &str = "200";

    /// The app list.
    pub fn list(client: &OktaClient) -> Url {
        client.url("/api/v1/apps", &[("limit", PAGE_SIZE)])
    }

    /// The users assigned to one app.
    pub fn users(client: &OktaClient, app_id: &str) -> Url {
        client.url(&format!("/api/v1/apps/{app_id}/users"), &[("limit", USERS_PAGE_SIZE)])
    }

    /// The groups assigned to one app.
    pub fn groups(client: &OktaClient, app_id: &str) -> Url {
        client.url(&format!("/api/v1/apps/{app_id}/groups"), &[("limit", GROUPS_PAGE_SIZE)])
    }
}

/// Policies and their rules.
pub mod policies {
    use super::*;

    /// Policies per page.
    pub const PAGE_SIZE: &str = "200";
    /// Rules per page.
    pub const RULES_PAGE_SIZE: &str = "200";
    /// Most rules Okta embeds with `expand=rules`; a policy showing this many is asked for all.
    pub const EMBEDDED_RULES_MAX: usize = 20;

    /// The policies of one type, with their rules embedded.
    pub fn list(client: &OktaClient, policy_type: &str) -> Url {
        client.url("/api/v1/policies", &[("type", policy_type), ("expand", "rules"), ("limit", PAGE_SIZE)])
    }

    /// One policy's rules, paged with `limit` (walk the next links).
    pub fn rules(client: &OktaClient, policy_id: &str) -> Url {
        client.url(&format!("/api/v1/policies/{policy_id}/rules"), &[("limit", RULES_PAGE_SIZE)])
    }

    /// 400 E0000002 on the list: this org's engine does not know the policy type.
    pub fn type_unsupported(e: &Error) -> bool {
        matches!(e, Error::Api { status: 400, code, .. } if code == "E0000002")
    }
}

/// The System Log.
pub mod logs {
    use super::*;

    /// Events per page (Okta's maximum is 1000).
    pub const PAGE_SIZE: &str = "1000";

    /// Events in persistence order from `since` on, with no upper bound: Okta's polling
    /// request. Its next links carry the `after` cursor that a later poll continues from, so
    /// an event persisted late is still returned by the next poll.
    pub fn poll(client: &OktaClient, since: &str) -> Url {
        client.url("/api/v1/logs", &[("since", since), ("sortOrder", "ASCENDING"), ("limit", PAGE_SIZE)])
    }

    /// Events published in `[since, until)`, oldest first.
    pub fn window(client: &OktaClient, since: &str, until: &str) -> Url {
        client.url("/api/v1/logs", &[("since", since), ("until", until), ("sortOrder", "ASCENDING"), ("limit", PAGE_SIZE)])
    }
}

/// Devices (Identity Engine only).
pub mod devices {
    use super::*;

    /// Devices per page.
    pub const PAGE_SIZE: &str = "200";

    /// The device list with its users (`expand=user`), optionally narrowed by a `search`.
    pub fn list(client: &OktaClient, search: Option<&str>) -> Url {
        match search {
            Some(s) => client.url("/api/v1/devices", &[("search", s), ("limit", PAGE_SIZE), ("expand", "user")]),
            None => client.url("/api/v1/devices", &[("limit", PAGE_SIZE), ("expand", "user")]),
        }
    }

    /// The org has no devices API: 404, or the feature is not licensed.
    pub fn not_available(e: &Error) -> bool {
        matches!(e, Error::NotFound { .. }) || e.feature_unavailable()
    }
}

/// The org itself.
pub mod org {
    use super::*;

    /// The parts of `/api/v1/org` the connector shows.
    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(default, rename_all = "camelCase")]
    pub struct Org {
        /// The org id.
        pub id: Option<String>,
        /// The subdomain.
        pub subdomain: Option<String>,
        /// The company name.
        pub company_name: Option<String>,
    }

    /// Fetches the org. A 404 here means no Okta org answers at this address.
    pub async fn fetch(client: &OktaClient) -> Result<Org, Error> {
        fetch_as(client, &client.url(PATH, &[])).await
    }

    /// The org's path.
    pub const PATH: &str = "/api/v1/org";
}

/// Schemas.
pub mod schemas {
    use super::*;

    /// The default user type's schema (custom attributes live under `definitions.custom`).
    pub async fn user_default(client: &OktaClient) -> Result<serde_json::Value, Error> {
        Ok(client.get(&client.url("/api/v1/meta/schemas/user/default", &[])).await?.body)
    }
}

/// GETs one object and reads it into `T`.
async fn fetch_as<T: serde::de::DeserializeOwned>(client: &OktaClient, url: &Url) -> Result<T, Error> {
    let body = client.get(url).await?.body;
    serde_json::from_value(body)
        .map_err(|e| Error::BadBody { endpoint: format!("GET {}", url.path()), detail: format!("unexpected JSON ({e})") })
}
