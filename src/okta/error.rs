//! `okta::Error`: what went wrong, typed so callers can act (skip, fall back, stop, delay).

/// Okta's errorCode for a feature the org is not licensed for (answered with 401, sometimes 403).
pub const FEATURE_UNAVAILABLE: &str = "E0000015";

/// A failed Okta call. `endpoint` is the method and path, never the query or the token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: the token is unknown, revoked or expired.
    #[error("Okta rejected the API token (HTTP 401 {code}) on {endpoint}: the token is invalid or expired; create a new one under Security > API > Tokens")]
    InvalidToken {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// Okta's errorCode.
        code: String,
    },
    /// 403: the token's admin (or the service app's scopes or admin role) lacks the permission.
    #[error("permission denied (HTTP 403 {code}) on {endpoint}: {summary}{needs}")]
    PermissionDenied {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// Okta's errorCode.
        code: String,
        /// Okta's errorSummary.
        summary: String,
        /// What to grant.
        needs: Grant,
    },
    /// The org's authorization server refused the service app's token request.
    #[error("Okta refused the OAuth token request (HTTP {status} {error}) on {endpoint}: {description}")]
    OAuthRefused {
        /// Where.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The OAuth `error`.
        error: String,
        /// The OAuth `error_description`.
        description: String,
    },
    /// 404.
    #[error("not found (HTTP 404 {code}) on {endpoint}: {summary}")]
    NotFound {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// Okta's errorCode.
        code: String,
        /// Okta's errorSummary.
        summary: String,
    },
    /// 400 on a request that carried `filter` or `search`.
    #[error("Okta rejected the filter (HTTP 400 {code}) on {endpoint}: {summary}")]
    FilterRejected {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// Okta's errorCode.
        code: String,
        /// Okta's errorSummary.
        summary: String,
    },
    /// Any other 4xx.
    #[error("Okta answered HTTP {status} {code} on {endpoint}: {summary}")]
    Api {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Okta's errorCode.
        code: String,
        /// Okta's errorSummary.
        summary: String,
    },
    /// 5xx, timeouts or resets that outlasted the retries.
    #[error("Okta did not answer {endpoint} successfully after retries: {detail}")]
    Transient {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// The last failure.
        detail: String,
    },
    /// A rate-limit wait would outlast the invocation.
    #[error("rate limited on {endpoint} for {wait_secs} s more")]
    RateLimited {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// Seconds until the bucket resets.
        wait_secs: u64,
    },
    /// The invocation's deadline passed before this request could start.
    #[error("the invocation's deadline passed before {endpoint} could be called")]
    DeadlineReached {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
    },
    /// A next link pointed at another origin; it was not followed.
    #[error("refused to follow a next link from {endpoint} to another host ({host})")]
    ForeignNextLink {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// The foreign host.
        host: String,
    },
    /// The same next link came back twice.
    #[error("paging loop on {endpoint}: Okta returned the same next link twice")]
    CursorLoop {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
    },
    /// The body exceeded the configured cap.
    #[error("the response of {endpoint} exceeds {limit} bytes")]
    BodyTooLarge {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// The cap.
        limit: usize,
    },
    /// The body was not the JSON expected.
    #[error("malformed response from {endpoint}: {detail}")]
    BadBody {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// What was wrong.
        detail: String,
    },
    /// The host could not be reached at all (DNS, TLS, refused).
    #[error("cannot reach Okta for {endpoint}: {detail}")]
    Unreachable {
        /// The endpoint, as "GET /api/v1/users": never the query, which may hold a filter or a cursor.
        endpoint: String,
        /// What failed.
        detail: String,
    },
}

impl Error {
    /// The endpoint (method and path) the error happened on.
    pub fn endpoint(&self) -> &str {
        match self {
            Error::InvalidToken { endpoint, .. }
            | Error::PermissionDenied { endpoint, .. }
            | Error::OAuthRefused { endpoint, .. }
            | Error::NotFound { endpoint, .. }
            | Error::FilterRejected { endpoint, .. }
            | Error::Api { endpoint, .. }
            | Error::Transient { endpoint, .. }
            | Error::RateLimited { endpoint, .. }
            | Error::DeadlineReached { endpoint }
            | Error::ForeignNextLink { endpoint, .. }
            | Error::CursorLoop { endpoint }
            | Error::BodyTooLarge { endpoint, .. }
            | Error::BadBody { endpoint, .. }
            | Error::Unreachable { endpoint, .. } => endpoint,
        }
    }

    /// 401 or 403 with E0000015: "You do not have permission to access the feature you are
    /// requesting": the org is not licensed for this feature (or the token may not use it).
    /// The token itself is fine.
    pub fn feature_unavailable(&self) -> bool {
        matches!(self, Error::InvalidToken { .. } | Error::PermissionDenied { .. }) && self.code() == Some(FEATURE_UNAVAILABLE)
    }

    /// The one sentence shown to an admin (Test Connection, a failed phase, a skipped entity):
    /// what went wrong, where, and what to do.
    pub fn explain(&self) -> String {
        match self {
            _ if self.feature_unavailable() => {
                format!("feature not available to this org or token (HTTP {} {FEATURE_UNAVAILABLE}) on {}", self.status().unwrap_or(401), self.endpoint())
            }
            Error::InvalidToken { endpoint, code } => format!(
                "401: the API token is invalid or expired (or revoked): Okta answered {code} on {endpoint}; create a new token under Security > API > Tokens"
            ),
            Error::PermissionDenied { needs: Grant::AdminPermission, .. } => format!(
                "403: the token works but its admin lacks permission ({self}); use a token of a Read-only Administrator or higher"
            ),
            Error::PermissionDenied { .. } => format!("403: {self}"),
            Error::OAuthRefused { error, description, .. } => oauth_refusal(error, description),
            Error::NotFound { .. } => format!("404: no Okta org answers at this address ({self}); check the Okta subdomain"),
            Error::Unreachable { detail, .. } => {
                format!("cannot reach the org (DNS, TLS or network): {detail}; check the domain and your network")
            }
            other => other.to_string(),
        }
    }

    /// The HTTP status an error answer carried.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::InvalidToken { .. } => Some(401),
            Error::PermissionDenied { .. } => Some(403),
            Error::OAuthRefused { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            Error::FilterRejected { .. } => Some(400),
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Okta's errorCode, when the error carries one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::InvalidToken { code, .. }
            | Error::PermissionDenied { code, .. }
            | Error::NotFound { code, .. }
            | Error::FilterRejected { code, .. }
            | Error::Api { code, .. } => Some(code),
            Error::OAuthRefused { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether the credentials themselves were refused (a token Okta rejects, or a service app
    /// its authorization server refuses): the run cannot go on and the platform should stop
    /// (`EXTERNAL_SYSTEM_NO_ACCESS`).
    pub fn no_access(&self) -> bool {
        matches!(self, Error::InvalidToken { .. } | Error::OAuthRefused { .. }) && !self.feature_unavailable()
    }
}

/// What a 403 says to grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// An API token whose admin lacks a permission (Okta says no more).
    AdminPermission,
    /// An OAuth access token without this scope (`insufficient_scope`).
    Scope(String),
    /// A service app whose admin role does not allow this (a 403 that is not about scopes).
    AdminRole,
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Grant::AdminPermission => Ok(()),
            Grant::Scope(s) => write!(
                f,
                "; the access token lacks the scope {s} (insufficient_scope): grant {s} to the service app (its Okta API Scopes tab) and add it to the connection's scopes"
            ),
            Grant::AdminRole => f.write_str(
                "; the service app's scopes allow this but its admin role does not: assign the app the Read-only Administrator role (its Admin roles tab)",
            ),
        }
    }
}

/// The admin's sentence for a refused token request.
fn oauth_refusal(error: &str, description: &str) -> String {
    let what = match error {
        "invalid_client" => "check the client id, that the private key matches a public key registered for the app and active, and the key id",
        "invalid_scope" => "request only scopes granted to the app: grant them on the app's Okta API Scopes tab, or remove them from the connection's scopes",
        "unauthorized_client" => "the app may not use the client credentials grant: make it an API Services app with public key / private key client authentication",
        "invalid_dpop_proof" | "use_dpop_nonce" => "the DPoP exchange failed; check the org's clock and try again",
        _ => "check the service app's settings in Okta",
    };
    format!("Okta refused the service app's token request ({error}: {description}); {what}")
}
