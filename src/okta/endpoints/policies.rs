//! Policies and their rules.

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
pub fn rules(client: &OktaClient, policy_id: &str) -> Result<Url, Error> {
    let id = id_segment(policy_id, "GET /api/v1/policies/{id}/rules")?;
    Ok(client.url(&format!("/api/v1/policies/{id}/rules"), &[("limit", RULES_PAGE_SIZE)]))
}

/// 400 E0000002 on the list: this org's engine does not know the policy type.
pub fn type_unsupported(e: &Error) -> bool {
    matches!(e, Error::Api { status: 400, code, .. } if code == "E0000002")
}
