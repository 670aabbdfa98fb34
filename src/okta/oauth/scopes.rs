//! The read-only OAuth 2.0 scope each item type needs, with the endpoints it reads under that
//! scope: Okta's OpenAPI document's `security` entries for those GET operations (a test checks
//! this table against the vendored document, and the README's table against this one).

/// One scope and what it lets the connector read.
#[derive(Debug, Clone, Copy)]
pub struct ReadScope {
    /// The scope.
    pub scope: &'static str,
    /// The item types that need it (empty: the connection itself).
    pub item_types: &'static [&'static str],
    /// The OpenAPI path templates read under it.
    pub paths: &'static [&'static str],
}

/// Every scope the connector uses, in the README's order.
pub const READ_SCOPES: &[ReadScope] = &[
    ReadScope { scope: "okta.orgs.read", item_types: &[], paths: &["/api/v1/org"] },
    ReadScope {
        scope: "okta.users.read",
        item_types: &["users", "factors", "authenticator_enrollments"],
        paths: &["/api/v1/users", "/api/v1/users/{userId}/factors", "/api/v1/users/{userId}/authenticator-enrollments"],
    },
    ReadScope { scope: "okta.userTypes.read", item_types: &["users"], paths: &["/api/v1/meta/types/user"] },
    ReadScope { scope: "okta.schemas.read", item_types: &["users"], paths: &["/api/v1/meta/schemas/user/{schemaId}"] },
    ReadScope {
        scope: "okta.groups.read",
        item_types: &["groups", "group_members", "group_rules"],
        paths: &["/api/v1/groups", "/api/v1/groups/{groupId}/users", "/api/v1/groups/rules"],
    },
    ReadScope {
        scope: "okta.roles.read",
        item_types: &["iam_roles", "iam_role_members"],
        paths: &[
            "/api/v1/iam/roles",
            "/api/v1/iam/assignees/users",
            "/api/v1/users/{userId}/roles",
            "/api/v1/groups/{groupId}/roles",
            "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups",
            "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps",
        ],
    },
    ReadScope {
        scope: "okta.apps.read",
        item_types: &["applications", "app_user_assignments", "app_group_assignments"],
        paths: &["/api/v1/apps", "/api/v1/apps/{appId}/users", "/api/v1/apps/{appId}/groups"],
    },
    ReadScope { scope: "okta.policies.read", item_types: &["policies"], paths: &["/api/v1/policies", "/api/v1/policies/{policyId}/rules"] },
    ReadScope {
        scope: "okta.authorizationServers.read",
        item_types: &["policies"],
        paths: &[
            "/api/v1/authorizationServers",
            "/api/v1/authorizationServers/{authServerId}/policies",
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
        ],
    },
    ReadScope { scope: "okta.logs.read", item_types: &["system_logs", "app_sign_ins"], paths: &["/api/v1/logs"] },
    ReadScope { scope: "okta.devices.read", item_types: &["devices"], paths: &["/api/v1/devices"] },
    ReadScope { scope: "okta.authenticators.read", item_types: &["authenticators"], paths: &["/api/v1/authenticators"] },
    ReadScope { scope: "okta.networkZones.read", item_types: &["network_zones"], paths: &["/api/v1/zones"] },
    ReadScope { scope: "okta.idps.read", item_types: &["identity_providers"], paths: &["/api/v1/idps"] },
    ReadScope { scope: "okta.trustedOrigins.read", item_types: &["trusted_origins"], paths: &["/api/v1/trustedOrigins"] },
];

/// The scopes requested when the connection lists none: every scope in [`READ_SCOPES`].
pub fn all() -> Vec<String> {
    READ_SCOPES.iter().map(|s| s.scope.to_string()).collect()
}

/// The scope a concrete path needs, by matching it against the table's templates (`None`: a
/// path the table does not list).
pub fn for_path(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    READ_SCOPES.iter().find_map(|s| {
        s.paths
            .iter()
            .any(|t| {
                let tsegs: Vec<&str> = t.split('/').collect();
                tsegs.len() == segs.len() && tsegs.iter().zip(&segs).all(|(a, b)| a.starts_with('{') || a == b)
            })
            .then_some(s.scope)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_paths_name_their_scope() {
        assert_eq!(for_path("/api/v1/users/00u1/factors"), Some("okta.users.read"));
        assert_eq!(for_path("/api/v1/groups/00g1/roles"), Some("okta.roles.read"));
        assert_eq!(for_path("/api/v1/groups/00g1/users"), Some("okta.groups.read"));
        assert_eq!(for_path("/api/v1/authorizationServers/aus1/policies/p1/rules"), Some("okta.authorizationServers.read"));
        assert_eq!(for_path("/api/v1/meta/schemas/user/default"), Some("okta.schemas.read"));
        assert_eq!(for_path("/api/v1/elsewhere"), None);
    }
}
