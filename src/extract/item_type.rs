//! The item types, from one table: each one's name on the wire, whether it is an object, an
//! edge between two records or an event, how an edge's id and title are built from its ends,
//! and the values a tombstone gives the fields the metadata requires when nothing better is
//! known. Normalizers, tombstones, the report and the tests all ask here.

use serde::{Deserialize, Serialize};

/// One kind of record the connector sends to DevRev.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Okta users, every status.
    Users,
    /// Groups of every type.
    Groups,
    /// A user's membership of a group.
    GroupMembers,
    /// Standard and custom admin roles.
    IamRoles,
    /// A role granted to a user or a group.
    IamRoleMembers,
    /// Applications.
    Applications,
    /// A user's assignment to an app.
    AppUserAssignments,
    /// A group's assignment to an app.
    AppGroupAssignments,
    /// Policies with their rules (the authorization servers' too).
    Policies,
    /// System Log events (append-only).
    SystemLogs,
    /// Devices.
    Devices,
    /// A user's MFA factor.
    Factors,
    /// A user's Identity Engine authenticator enrollment.
    AuthenticatorEnrollments,
    /// A user's latest successful sign-in to an app (from the System Log).
    AppSignIns,
    /// Group rules: who a rule puts in which groups.
    GroupRules,
    /// The org's authenticators.
    Authenticators,
    /// Network zones.
    NetworkZones,
    /// Identity providers.
    IdentityProviders,
    /// Trusted origins.
    TrustedOrigins,
}

/// What a record of an item type stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Something that exists on its own; its tombstone says `deleted`.
    Object,
    /// A relation between two records, `{parent}:{child}` by id ([`ItemType::edge_id`]); its
    /// tombstone says `removed`. `ends` are the data fields that hold the two records' ids
    /// (a role assignment's parent is the assignment itself, which no field holds).
    Edge {
        /// The fields holding the ends' ids.
        ends: &'static [&'static str],
    },
    /// An event in an append-only log: never tombstoned.
    Event,
}

/// A value a tombstone gives a required field the event or the memory did not tell.
#[derive(Debug, Clone, Copy)]
enum Fill {
    /// The tombstone's title (a name-like field).
    Title,
    /// This text (for an enum, the value the object had to have before it could go: a user is
    /// deactivated, so DEPROVISIONED, before it is deleted).
    Text(&'static str),
}

struct Row {
    ty: ItemType,
    name: &'static str,
    shape: Shape,
    fills: &'static [(&'static str, Fill)],
}

const USER_END: &[&str] = &["user_id"];

const TABLE: [Row; 19] = [
    Row {
        ty: ItemType::Users,
        name: "users",
        shape: Shape::Object,
        fills: &[("login", Fill::Title), ("display_name", Fill::Title), ("status", Fill::Text("DEPROVISIONED"))],
    },
    Row {
        ty: ItemType::Groups,
        name: "groups",
        shape: Shape::Object,
        fills: &[("name", Fill::Title), ("group_type", Fill::Text("OKTA_GROUP"))],
    },
    Row { ty: ItemType::GroupMembers, name: "group_members", shape: Shape::Edge { ends: &["group_id", "user_id"] }, fills: &[] },
    Row {
        ty: ItemType::IamRoles,
        name: "iam_roles",
        shape: Shape::Object,
        fills: &[("label", Fill::Title), ("role_kind", Fill::Text("STANDARD"))],
    },
    Row {
        ty: ItemType::IamRoleMembers,
        name: "iam_role_members",
        shape: Shape::Edge { ends: &["role_id", "user_id", "group_id"] },
        fills: &[("assignee_type", Fill::Text("USER"))],
    },
    Row { ty: ItemType::Applications, name: "applications", shape: Shape::Object, fills: &[("label", Fill::Title)] },
    Row { ty: ItemType::AppUserAssignments, name: "app_user_assignments", shape: Shape::Edge { ends: &["app_id", "user_id"] }, fills: &[] },
    Row {
        ty: ItemType::AppGroupAssignments,
        name: "app_group_assignments",
        shape: Shape::Edge { ends: &["app_id", "group_id"] },
        fills: &[],
    },
    Row { ty: ItemType::Policies, name: "policies", shape: Shape::Object, fills: &[("name", Fill::Title)] },
    Row { ty: ItemType::SystemLogs, name: "system_logs", shape: Shape::Event, fills: &[] },
    Row { ty: ItemType::Devices, name: "devices", shape: Shape::Object, fills: &[] },
    Row { ty: ItemType::Factors, name: "factors", shape: Shape::Edge { ends: USER_END }, fills: &[("factor_type", Fill::Text(""))] },
    Row {
        ty: ItemType::AuthenticatorEnrollments,
        name: "authenticator_enrollments",
        shape: Shape::Edge { ends: USER_END },
        fills: &[("enrollment_type", Fill::Text(""))],
    },
    Row { ty: ItemType::AppSignIns, name: "app_sign_ins", shape: Shape::Edge { ends: &["app_id", "user_id"] }, fills: &[] },
    Row {
        ty: ItemType::GroupRules,
        name: "group_rules",
        shape: Shape::Object,
        fills: &[("name", Fill::Title), ("status", Fill::Text("INACTIVE"))],
    },
    Row {
        ty: ItemType::Authenticators,
        name: "authenticators",
        shape: Shape::Object,
        fills: &[("name", Fill::Title), ("key", Fill::Title)],
    },
    Row {
        ty: ItemType::NetworkZones,
        name: "network_zones",
        shape: Shape::Object,
        fills: &[("name", Fill::Title), ("zone_type", Fill::Text("IP"))],
    },
    Row {
        ty: ItemType::IdentityProviders,
        name: "identity_providers",
        shape: Shape::Object,
        fills: &[("name", Fill::Title), ("idp_type", Fill::Text("UNKNOWN"))],
    },
    Row {
        ty: ItemType::TrustedOrigins,
        name: "trusted_origins",
        shape: Shape::Object,
        fills: &[("name", Fill::Title), ("origin", Fill::Title)],
    },
];

impl ItemType {
    /// Every item type, in the order they are documented.
    pub const ALL: [ItemType; 19] = [
        ItemType::Users,
        ItemType::Groups,
        ItemType::GroupMembers,
        ItemType::IamRoles,
        ItemType::IamRoleMembers,
        ItemType::Applications,
        ItemType::AppUserAssignments,
        ItemType::AppGroupAssignments,
        ItemType::Policies,
        ItemType::SystemLogs,
        ItemType::Devices,
        ItemType::Factors,
        ItemType::AuthenticatorEnrollments,
        ItemType::AppSignIns,
        ItemType::GroupRules,
        ItemType::Authenticators,
        ItemType::NetworkZones,
        ItemType::IdentityProviders,
        ItemType::TrustedOrigins,
    ];

    #[allow(clippy::indexing_slicing)] // 19 variants, 19 rows; a test checks they line up
    const fn row(self) -> &'static Row {
        &TABLE[self as usize]
    }

    /// The name on the wire (artifacts, metadata, state, `--entities`).
    pub const fn as_str(self) -> &'static str {
        self.row().name
    }

    /// The item type of that name.
    pub fn parse(name: &str) -> Option<ItemType> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.ty)
    }

    /// What its records stand for.
    pub const fn shape(self) -> Shape {
        self.row().shape
    }

    /// Whether a listing can hold all of its records: not for events, nor for app sign-ins,
    /// which are built from the events read (older sign-ins stay in DevRev, past the log's
    /// retention), so no round's end diffs them.
    pub const fn is_listed(self) -> bool {
        !matches!(self.shape(), Shape::Event) && !matches!(self, ItemType::AppSignIns)
    }

    /// Whether it is an edge between two records.
    pub const fn is_edge(self) -> bool {
        matches!(self.shape(), Shape::Edge { .. })
    }

    /// The id of an edge record: its parent's id and its child's, the one rule every edge
    /// normalizer and every tombstone follows.
    pub fn edge_id(parent: &str, child: &str) -> String {
        format!("{parent}:{child}")
    }

    /// The title of a membership or an assignment: "Engineering ← ada@acme.com".
    pub fn edge_title(parent: &str, child: &str) -> String {
        format!("{parent} ← {child}")
    }

    /// The value a tombstone gives the required field `field` when nothing better is known
    /// (`title` for a name-like field); `None` when the type has no such value.
    pub fn tombstone_fill(self, field: &str, title: &str) -> Option<String> {
        let (_, fill) = self.row().fills.iter().find(|(f, _)| *f == field)?;
        Some(match fill {
            Fill::Title => title.to_string(),
            Fill::Text(t) => (*t).to_string(),
        })
    }
}

impl std::fmt::Display for ItemType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every item type's name, in the order they are documented.
pub const ITEM_TYPES: [&str; 19] = [
    ItemType::Users.as_str(),
    ItemType::Groups.as_str(),
    ItemType::GroupMembers.as_str(),
    ItemType::IamRoles.as_str(),
    ItemType::IamRoleMembers.as_str(),
    ItemType::Applications.as_str(),
    ItemType::AppUserAssignments.as_str(),
    ItemType::AppGroupAssignments.as_str(),
    ItemType::Policies.as_str(),
    ItemType::SystemLogs.as_str(),
    ItemType::Devices.as_str(),
    ItemType::Factors.as_str(),
    ItemType::AuthenticatorEnrollments.as_str(),
    ItemType::AppSignIns.as_str(),
    ItemType::GroupRules.as_str(),
    ItemType::Authenticators.as_str(),
    ItemType::NetworkZones.as_str(),
    ItemType::IdentityProviders.as_str(),
    ItemType::TrustedOrigins.as_str(),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_enum_s_order_and_names_round_trip() {
        for (i, t) in ItemType::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
            assert_eq!(TABLE[i].ty, t);
            assert_eq!(ItemType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(ItemType::parse("widgets"), None);
    }

    fn app_sign_in(app: &str, user: &str, links: &crate::extract::AdminLinks) -> Option<serde_json::Value> {
        let e = serde_json::json!({"uuid": "e1", "published": "2026-01-01T00:00:00.000Z", "eventType": "user.authentication.sso",
            "outcome": {"result": "SUCCESS"}, "actor": {"id": user, "type": "User"}, "target": [{"id": app, "type": "AppInstance"}]});
        crate::extract::sign_ins::SignIn::of(&e)?.record(links)
    }

    #[test]
    fn every_edge_normalizer_builds_its_id_from_its_ends() {
        use crate::extract::{apps, factors, groups, roles, AdminLinks};
        use serde_json::json;
        let links = AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap());
        let day = "2026-01-01T00:00:00.000Z";
        let dated = |v: serde_json::Value| {
            let mut v = v;
            v["created"] = json!(day);
            v["lastUpdated"] = json!(day);
            v
        };
        let (user, group, app) = (dated(json!({"id": "00u1"})), dated(json!({"id": "00g1"})), dated(json!({"id": "0oa1"})));
        let made = [
            (ItemType::GroupMembers, groups::group_member(&group, &user, &links), ("00g1", "00u1")),
            (ItemType::AppUserAssignments, apps::app_user_for(&app, &user, &links), ("0oa1", "00u1")),
            (ItemType::AppGroupAssignments, apps::app_group_for(&app, &group, &links), ("0oa1", "00g1")),
            (ItemType::Factors, factors::factor("00u1", &dated(json!({"id": "uft1", "factorType": "sms"})), &links), ("00u1", "uft1")),
            (
                ItemType::AuthenticatorEnrollments,
                factors::authenticator_enrollment(&user, &dated(json!({"id": "eae1", "type": "email"})), &links),
                ("00u1", "eae1"),
            ),
            (
                ItemType::IamRoleMembers,
                roles::role_member_of(&dated(json!({"id": "ra1", "type": "SUPER_ADMIN"})), &user, "USER", &links),
                ("ra1", "00u1"),
            ),
            (ItemType::AppSignIns, app_sign_in("0oa1", "00u1", &links), ("0oa1", "00u1")),
        ];
        for (t, rec, (parent, child)) in made {
            assert!(t.is_edge(), "{t}");
            assert_eq!(rec.unwrap_or_else(|| panic!("{t}: no record"))["id"], ItemType::edge_id(parent, child), "{t}");
        }
        let edges = ItemType::ALL.into_iter().filter(|t| t.is_edge()).count();
        assert_eq!(edges, 7, "a new edge type needs its normalizer here");
    }

    #[test]
    fn every_required_field_of_a_tombstone_has_a_value() {
        // What the metadata requires of each type, a tombstone must carry: an edge's ends come
        // from its id, the title is always set, the rest from the table.
        let meta = crate::metadata::document(&[]);
        for t in ItemType::ALL.into_iter().filter(|t| t.shape() != Shape::Event) {
            let fields = meta.pointer(&format!("/record_types/{t}/fields")).and_then(|v| v.as_object()).unwrap();
            for (name, f) in fields.iter().filter(|(_, f)| f["is_required"] == true) {
                let end = matches!(t.shape(), Shape::Edge { ends } if ends.contains(&name.as_str()));
                let known = name == crate::extract::TITLE_FIELD || end || t.tombstone_fill(name, "x").is_some();
                assert!(known, "{t}: a tombstone has no value for the required `{name}` ({f})");
            }
        }
    }
}
