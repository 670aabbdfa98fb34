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

/// The policies of one type without their rules (when `expand=rules` is refused).
pub fn list_plain(client: &OktaClient, policy_type: &str) -> Url {
    client.url("/api/v1/policies", &[("type", policy_type), ("limit", PAGE_SIZE)])
}

/// One policy, with its rules embedded when `expand_rules` (Okta refuses that for a policy of
/// more than [`EMBEDDED_RULES_MAX`] rules, see [`expand_refused`]).
pub fn one(client: &OktaClient, policy_id: &str, expand_rules: bool) -> Result<Url, Error> {
    let id = id_segment(policy_id, "GET /api/v1/policies/{id}")?;
    let query: &[(&str, &str)] = if expand_rules { &[("expand", "rules")] } else { &[] };
    Ok(client.url(&format!("/api/v1/policies/{id}"), query))
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

/// An error on the expanded list that listing without `expand` can get past: Okta documents
/// that `expand=rules` "returns an error" for a policy of more than 20 rules, without a status
/// or code. Any 4xx but the type-unsupported 400 E0000002, an unlicensed type (401) and a rate
/// limit (429); permission errors have variants of their own and are not this.
pub fn expand_refused(e: &Error) -> bool {
    matches!(e, Error::Api { status, code, .. } if (400..500).contains(status) && !matches!(status, 401 | 429) && code != "E0000002")
}
