//! Devices (Identity Engine only).

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
