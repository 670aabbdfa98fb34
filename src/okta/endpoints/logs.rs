//! The System Log.

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
