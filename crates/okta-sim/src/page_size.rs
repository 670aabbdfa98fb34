//! The simulator's own page-size table: default and maximum `limit` per list endpoint, from
//! Okta's OpenAPI document (okta/okta-management-openapi-spec `management-minimal.yaml`,
//! 2026.06.3) and its developer documentation where the document is silent. It is written from
//! those sources, not from the connector, so a connector that assumes other sizes is caught.

/// The `limit` a list endpoint takes when none is sent, and the largest it honours (a larger
/// one is clamped, as Okta does; zero or a negative one means the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize {
    /// Used when `limit` is absent.
    pub default: usize,
    /// The largest page served.
    pub max: usize,
}

const fn size(default: usize, max: usize) -> PageSize {
    PageSize { default, max }
}

/// `GET /api/v1/users`: spec default 200; the documented maximum is 200.
pub const USERS: PageSize = size(200, 200);
/// `GET /api/v1/users?q=`: 10 when `q` is given (spec), not pageable.
pub const USERS_QUERY: PageSize = size(10, 200);
/// `GET /api/v1/groups`: the spec's maximum is 10 000; docs say 200 "for most orgs" when omitted.
pub const GROUPS: PageSize = size(200, 10_000);
/// `GET /api/v1/groups?q=`: 300 by default (docs), not pageable.
pub const GROUPS_QUERY: PageSize = size(300, 10_000);
/// `GET /api/v1/groups/{id}/users`: spec default 1000, no documented maximum (1000 here).
pub const GROUP_MEMBERS: PageSize = size(1000, 1000);
/// `GET /api/v1/apps`: spec maximum 200; the spec's default of -1 means "server default",
/// which older docs give as 20.
pub const APPS: PageSize = size(20, 200);
/// `GET /api/v1/apps/{id}/users`: spec 1 to 500, default 50.
pub const APP_USERS: PageSize = size(50, 500);
/// `GET /api/v1/apps/{id}/groups`: spec 20 to 200, default 20 (a smaller limit is raised to 20).
pub const APP_GROUPS: PageSize = size(20, 200);
/// The minimum `limit` of `GET /api/v1/apps/{id}/groups`.
pub const APP_GROUPS_MIN: usize = 20;
/// `GET /api/v1/iam/roles`: `after` only in the spec; 20 per page here.
pub const IAM_ROLES: PageSize = size(20, 20);
/// `GET /api/v1/iam/assignees/users`: spec default 100; no documented maximum (100 here).
pub const IAM_ASSIGNEES: PageSize = size(100, 100);
/// `GET /api/v1/policies?type=`: `limit` is a string in the spec with no default; 20 per page
/// here, so an org with many policies of a type pages (the spec points at the pagination guide).
pub const POLICIES: PageSize = size(20, 200);
/// `GET /api/v1/policies/{id}/rules`: no default in the spec; historically every rule in one
/// answer, so without `limit` all rules come back, and with `limit` the list pages.
pub const POLICY_RULES: PageSize = size(usize::MAX, 200);
/// `GET /api/v1/logs`: spec default 100, between 0 and 1000.
pub const LOGS: PageSize = size(100, 1000);
/// `GET /api/v1/devices`: spec 1 to 200, default 200.
pub const DEVICES: PageSize = size(200, 200);
/// How many rules `expand=rules` embeds in a policy.
pub const EMBEDDED_RULES: usize = 20;
/// The group page size Okta recommends ("a specific value other than the default or maximum";
/// docs: 200), which the truth's call count assumes for `/api/v1/groups`.
pub const GROUPS_RECOMMENDED: usize = 200;
/// `GET .../roles/{roleAssignmentId}/targets/groups` and `.../targets/catalog/apps`: spec
/// `queryLimit`, 1 to 200, default 20.
pub const ROLE_TARGETS: PageSize = size(20, 200);
/// `GET /api/v1/authorizationServers`: spec default 200, "Maximum value: 200".
pub const AUTH_SERVERS: PageSize = size(200, 200);
/// `GET /api/v1/groups/rules`: spec 1 to 200, default 50.
pub const GROUP_RULES: PageSize = size(50, 200);
/// `GET /api/v1/zones`: the spec's default of -1 lists every zone in one page; a `limit` is
/// honoured, with no documented maximum.
pub const ZONES: PageSize = size(usize::MAX, usize::MAX);
/// `GET /api/v1/idps`: spec 1 to 200, default 20.
pub const IDPS: PageSize = size(20, 200);
/// `GET /api/v1/trustedOrigins`: spec default 20, maximum 200.
pub const TRUSTED_ORIGINS: PageSize = size(20, 200);
