//! Which OAuth 2.0 scope each GET endpoint needs, from Okta's OpenAPI document
//! (`openapi-get-scopes.json`, see `NOTICE.md`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The vendored extract: for each path template with a GET operation, its scopes.
const EXTRACT: &str = include_str!("openapi-get-scopes.json");

#[derive(serde::Deserialize)]
struct Extract {
    get: BTreeMap<String, Vec<String>>,
}

fn table() -> &'static BTreeMap<String, Vec<String>> {
    static TABLE: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str::<Extract>(EXTRACT).map(|e| e.get).unwrap_or_default())
}

/// The OpenAPI path template a concrete path falls under (`/api/v1/users/00u1` →
/// `/api/v1/users/{id}`): same number of segments, literals equal, the template with the most
/// literal segments winning (`/api/v1/groups/rules` over `/api/v1/groups/{groupId}`).
pub fn template_of(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    table()
        .keys()
        .filter_map(|t| {
            let tsegs: Vec<&str> = t.split('/').collect();
            if tsegs.len() != segs.len() {
                return None;
            }
            let mut literals = 0;
            for (a, b) in tsegs.iter().zip(&segs) {
                if a.starts_with('{') && a.ends_with('}') {
                    continue;
                }
                if a != b {
                    return None;
                }
                literals += 1;
            }
            Some((literals, t.as_str()))
        })
        .max_by_key(|(literals, _)| *literals)
        .map(|(_, t)| t)
}

/// The scopes any one of which lets a token GET `path` (empty: no scope does; `None`: the
/// document has no such GET operation).
pub fn for_get(path: &str) -> Option<&'static [String]> {
    template_of(path).and_then(|t| table().get(t)).map(Vec::as_slice)
}

/// Every path template with a GET operation and its scopes.
pub fn all() -> &'static BTreeMap<String, Vec<String>> {
    table()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_paths_find_their_templates_and_scopes() {
        assert!(all().len() > 200, "the extract parses");
        assert_eq!(template_of("/api/v1/users/00u1abcdefghijklmn"), Some("/api/v1/users/{id}"));
        assert_eq!(template_of("/api/v1/groups/rules"), Some("/api/v1/groups/rules"));
        assert_eq!(for_get("/api/v1/users/00u1/factors").map(|s| s.to_vec()), Some(vec!["okta.users.read".to_string()]));
        assert_eq!(for_get("/api/v1/groups/00g1/roles").map(|s| s.to_vec()), Some(vec!["okta.roles.read".to_string()]));
        assert_eq!(for_get("/api/v1/org").map(|s| s.to_vec()), Some(vec!["okta.orgs.read".to_string()]));
        assert_eq!(for_get("/api/v1/nothing/here/at/all"), None);
    }
}
