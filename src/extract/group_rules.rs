//! Group rules: why a user is in a group. A rule assigns the users its expression matches to
//! its groups, but for the users and groups it excludes (Okta's Groups API, "Group rules").

use serde_json::{Map, Value};

use super::{put, put_title, record, s, ts, AdminLinks};

fn ids(v: &Value, path: &str) -> Value {
    Value::Array(v.pointer(path).and_then(Value::as_array).into_iter().flatten().filter_map(|x| x.as_str()).map(Value::from).collect())
}

/// A group rule: its expression, the groups it assigns to and what it excludes.
pub fn group_rule(r: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(r, "/id")?;
    let mut d = Map::new();
    put_title(&mut d, [s(r, "/name"), Some(id.clone())]);
    d.insert("name".into(), s(r, "/name").unwrap_or_else(|| id.clone()).into());
    d.insert("status".into(), s(r, "/status").unwrap_or_else(|| "INACTIVE".into()).into());
    put(&mut d, "expression", s(r, "/conditions/expression/value"));
    put(&mut d, "expression_type", s(r, "/conditions/expression/type"));
    d.insert("group_ids".into(), ids(r, "/actions/assignUserToGroups/groupIds"));
    d.insert("excluded_user_ids".into(), ids(r, "/conditions/people/users/exclude"));
    d.insert("excluded_group_ids".into(), ids(r, "/conditions/people/groups/exclude"));
    put(&mut d, "all_groups_valid", r.get("allGroupsValid").and_then(Value::as_bool));
    d.insert("item_url_field".into(), links.link("/admin/groups#rules").into());
    record(&id, ts(r.get("created")), ts(r.get("lastUpdated")), d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_keeps_its_expression_groups_and_exclusions() {
        let links = AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap());
        let r = json!({"id": "0pr1", "name": "Engineers", "status": "ACTIVE", "type": "group_rule",
            "created": "2026-01-01T00:00:00.000Z", "lastUpdated": "2026-02-01T00:00:00.000Z",
            "conditions": {"expression": {"value": "user.department==\"Engineering\"", "type": "urn:okta:expression:1.0"},
                "people": {"users": {"exclude": ["00u9"]}, "groups": {"exclude": []}}},
            "actions": {"assignUserToGroups": {"groupIds": ["00g1", "00g2"]}}});
        let rec = group_rule(&r, &links).unwrap();
        assert_eq!(rec["modified_date"], "2026-02-01T00:00:00.000Z");
        assert_eq!(rec["data"]["expression"], "user.department==\"Engineering\"");
        assert_eq!(rec["data"]["group_ids"], json!(["00g1", "00g2"]));
        assert_eq!(rec["data"]["excluded_user_ids"], json!(["00u9"]));
        assert_eq!(rec["data"]["status"], "ACTIVE");
    }
}
