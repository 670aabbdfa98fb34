//! A deterministic org generator: the same (seed, sizes, anchor) gives a byte-identical org.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::model::*;

mod posture;
mod second_pass;

/// How big an org to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Users (shadow placeholders included).
    pub users: usize,
    /// Groups (Everyone included).
    pub groups: usize,
    /// Applications.
    pub apps: usize,
    /// Devices (DELETED ones included).
    pub devices: usize,
    /// System Log events over the last 90 days.
    pub log_events: usize,
    /// Whether some users are placeholders with status "shadow" (not an Okta status: the
    /// connector must drop them). Off for third-party clients that validate statuses.
    pub placeholders: bool,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes { users: 200, groups: 30, apps: 12, devices: 60, log_events: 1500, placeholders: true }
    }
}

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Katherine",
    "Niklaus",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Backus",
    "Johnson",
    "Wirth",
];
const DEPTS: &[&str] = &["Engineering", "Sales", "Support", "Finance", "Legal", "Marketing", "People", "IT"];
/// Sign-on modes, one unknown to the spec among them.
pub const SIGN_ON_MODES: &[&str] = &[
    "SAML_2_0",
    "SAML_1_1",
    "OPENID_CONNECT",
    "WS_FEDERATION",
    "AUTO_LOGIN",
    "BROWSER_PLUGIN",
    "SECURE_PASSWORD_STORE",
    "BASIC_AUTH",
    "BOOKMARK",
    "FUTURE_SIGN_ON_MODE",
];
/// Policy types this simulated (Identity Engine) org supports.
pub const SUPPORTED_POLICY_TYPES: &[&str] =
    &["OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY", "ACCESS_POLICY", "PROFILE_ENROLLMENT", "POST_AUTH_SESSION", "ENTITY_RISK"];
const EVENT_TYPES: &[&str] = &[
    "user.session.start",
    "user.lifecycle.create",
    "group.user_membership.add",
    "application.user_membership.add",
    "policy.lifecycle.update",
    "user.authentication.sso",
];

struct Gen {
    rng: ChaCha8Rng,
    anchor: DateTime<Utc>,
}

impl Gen {
    fn id(&mut self, prefix: &str) -> String {
        const CH: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut s = prefix.to_string();
        while s.len() < 20 {
            s.push(CH[self.rng.gen_range(0..CH.len())] as char);
        }
        s
    }

    fn secret(&mut self, kind: &str) -> String {
        format!("SIMSECRET-{kind}-{}", self.id("x"))
    }

    /// A time between `days_ago_max` and `days_ago_min` days before the anchor (ms precision).
    fn past(&mut self, days_ago_min: i64, days_ago_max: i64) -> DateTime<Utc> {
        let ms = self.rng.gen_range(days_ago_min * 86_400_000..=days_ago_max * 86_400_000);
        self.anchor - Duration::milliseconds(ms)
    }

    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.rng.gen_range(0..xs.len())]
    }

    fn uuid(&mut self) -> String {
        let b: [u8; 16] = self.rng.gen();
        uuid::Builder::from_random_bytes(b).into_uuid().to_string()
    }
}

fn status_for(r: u32) -> &'static str {
    match r {
        0..=64 => "ACTIVE",
        65..=67 => "STAGED",
        68..=72 => "PROVISIONED",
        73..=74 => "RECOVERY",
        75..=77 => "PASSWORD_EXPIRED",
        78..=80 => "LOCKED_OUT",
        81..=85 => "SUSPENDED",
        86..=96 => "DEPROVISIONED",
        _ => "shadow",
    }
}

pub use posture::{client as sign_in_client, sign_in_pairs, sso_debug};

/// Gives about 60 % of the users a manager among the active ones (never themselves).
fn assign_managers(g: &mut Gen, users: &mut [User], active: &[u32]) {
    for i in 0..users.len() {
        if g.rng.gen_bool(0.6) && !active.is_empty() {
            let m = active[g.rng.gen_range(0..active.len())];
            if m as usize != i {
                users[i].manager_id = Some(users[m as usize].id.clone());
            }
        }
    }
}

/// `n` System Log events over the last 89 days, in publication order, each about a user
/// (their targets are made Okta's by [`okta_targets`]).
fn gen_logs(g: &mut Gen, n: usize, users: usize) -> Vec<LogEvent> {
    let mut logs: Vec<LogEvent> = (0..n)
        .map(|_| {
            let (uuid, published) = (g.uuid(), g.past(0, 89));
            LogEvent {
                uuid,
                published,
                persisted: published,
                event_type: g.pick(EVENT_TYPES).into(),
                severity: if g.rng.gen_bool(0.9) { "INFO".into() } else { "WARN".into() },
                actor: g.rng.gen_range(0..users as u32),
                targets: vec![LogTarget::User(g.rng.gen_range(0..users as u32))],
                ip: format!("203.0.113.{}", g.rng.gen_range(1..255)),
                debug: Vec::new(),
                client: None,
            }
        })
        .collect();
    logs.sort_by(|a, b| (a.published.timestamp_millis(), &a.uuid).cmp(&(b.published.timestamp_millis(), &b.uuid)));
    logs
}

/// Generates an org.
pub fn generate(seed: u64, sizes: Sizes, anchor: DateTime<Utc>) -> Org {
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed), anchor };
    let mut users = gen_users(&mut g, sizes.users.max(1), sizes.placeholders);
    users.sort_by(|a, b| a.id.cmp(&b.id));
    // The token owner: the first ACTIVE user.
    let admin_user = users.iter().position(|u| u.status == "ACTIVE").unwrap_or(0) as u32;
    if let Some(u) = users.get_mut(admin_user as usize) {
        u.status = "ACTIVE".into();
    }
    let active: Vec<u32> = users.iter().enumerate().filter(|(_, u)| u.status == "ACTIVE").map(|(i, _)| i as u32).collect();
    assign_managers(&mut g, &mut users, &active);
    let mut groups = gen_groups(&mut g, &users, sizes.groups.max(1));
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    let mut apps = gen_apps(&mut g, &users, groups.len(), sizes.apps);
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    for grp in groups.iter_mut().filter(|x| x.kind == "APP_GROUP") {
        if !apps.is_empty() {
            grp.source_app = Some(apps[g.rng.gen_range(0..apps.len())].id.clone());
        }
    }
    let custom_roles: Vec<CustomRole> = (0..3)
        .map(|i| CustomRole {
            id: g.id("cr0"),
            label: ["HelpdeskLite", "AuditorPlus", "AppOwner"][i].into(),
            description: format!("Custom role {i}"),
            created: g.past(100, 400),
        })
        .collect();
    let (user_roles, group_roles) = gen_roles(&mut g, &users, &mut groups, &custom_roles, admin_user, &active);
    let mut policies = gen_policies(&mut g);
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    let mut devices = gen_devices(&mut g, &users, sizes.devices);
    devices.sort_by(|a, b| a.id.cmp(&b.id));
    let factors = gen_factors(&mut g, &users);
    let mut logs = gen_logs(&mut g, sizes.log_events, users.len());
    okta_targets(&mut logs, apps.len(), groups.len(), policies.len());
    let n_users = users.len();
    let mut org = Org {
        anchor,
        org_id: g.id("00o"),
        subdomain: "sim-acme".into(),
        users,
        groups,
        apps,
        custom_roles,
        user_roles,
        group_roles,
        policies,
        devices,
        factors,
        user_types: Vec::new(),
        auth_servers: Vec::new(),
        enrollments: BTreeMap::new(),
        logs,
        posture: Posture::default(),
        admin_user,
        mutations: 0,
        removed: BTreeMap::new(),
        disabled_factor_types: Default::default(),
        log_cursor_epoch: 0,
        log_side_effect_edges: false,
        user_json: (0..n_users).map(|_| Default::default()).collect(),
    };
    // The second pass draws from its own stream, so everything above stays as it was.
    second_pass::generate(&mut Gen { rng: ChaCha8Rng::seed_from_u64(seed ^ 0x15_c0_7e), anchor }, &mut org);
    // So does the third (group rules, sign-in configuration, sign-ins).
    posture::generate(&mut Gen { rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5160_5160), anchor }, &mut org);
    org
}

/// Gives each generated event the targets Okta's carry for its type, chosen from the first
/// target (a user) without drawing from the random stream, so the org stays as it was:
/// `[AppUser, AppInstance, User]` for an app membership, `[AppInstance, AppUser]` for a single
/// sign-on, `[User, UserGroup]` for a group membership, `[PolicyEntity]` for a policy update.
fn okta_targets(logs: &mut [LogEvent], apps: usize, groups: usize, policies: usize) {
    for e in logs.iter_mut() {
        let Some(LogTarget::User(user)) = e.targets.first().copied() else { continue };
        let pick = |n: usize| (user as usize % n.max(1)) as u32;
        e.targets = match e.event_type.as_str() {
            "application.user_membership.add" if apps > 0 => crate::events::app_membership(pick(apps), user),
            "user.authentication.sso" if apps > 0 => {
                let app = pick(apps);
                vec![LogTarget::App(app), LogTarget::AppUser { app, user }]
            }
            "group.user_membership.add" if groups > 0 => vec![LogTarget::User(user), LogTarget::Group(pick(groups))],
            "policy.lifecycle.update" if policies > 0 => vec![LogTarget::Policy(pick(policies))],
            _ => continue,
        };
    }
}

fn gen_users(g: &mut Gen, n: usize, placeholders: bool) -> Vec<User> {
    (0..n)
        .map(|i| {
            let status = match status_for(g.rng.gen_range(0..100)) {
                "shadow" if !placeholders => "ACTIVE",
                s => s,
            }
            .to_string();
            let (first, last) = (g.pick(FIRST).to_string(), g.pick(LAST).to_string());
            let created = g.past(200, 1500);
            let last_updated = created.max(g.past(2, 199));
            let mut custom = BTreeMap::new();
            custom.insert("costCenterCode".into(), json!(format!("CC-{:04}", g.rng.gen_range(0..9999))));
            custom.insert("clearanceLevel".into(), json!(g.rng.gen_range(0..5)));
            custom.insert("isContractor".into(), json!(g.rng.gen_bool(0.2)));
            custom.insert("ftePercent".into(), json!((g.rng.gen_range(10..=100) as f64) / 100.0 + 0.005));
            if g.rng.gen_bool(0.5) {
                custom.insert("badgeIds".into(), json!([g.rng.gen_range(1000..9999), g.rng.gen_range(1000..9999)]));
            }
            custom.insert("pinHash".into(), json!(g.secret("pinhash")));
            User {
                id: g.id("00u"),
                login: format!("{}.{}.{i}@sim-acme.example", first.to_lowercase(), last.to_lowercase()),
                first_name: first,
                last_name: last,
                title: g.rng.gen_bool(0.8).then(|| "Engineer".to_string()),
                department: Some(g.pick(DEPTS).to_string()),
                mobile_phone: g.rng.gen_bool(0.5).then(|| format!("+1 555 555 {:04}", g.rng.gen_range(0..9999))),
                manager_id: None,
                employee_number: format!("E{i:06}"),
                email: None,
                type_index: 0,
                provider: Provider::okta(),
                recovery_question: None,
                activated: (status != "STAGED").then_some(created),
                status_changed: last_updated,
                last_login: (status == "ACTIVE").then_some(last_updated),
                password_changed: Some(created),
                created,
                last_updated,
                status,
                custom,
                deleted: false,
            }
        })
        .collect()
}

fn gen_groups(g: &mut Gen, users: &[User], n: usize) -> Vec<Group> {
    let everyone: Vec<u32> = (0..users.len() as u32).collect();
    let mut out = Vec::new();
    for i in 0..n {
        let created = g.past(300, 1500);
        let (kind, name, members) = if i == 0 {
            ("BUILT_IN", "Everyone".to_string(), everyone.clone())
        } else {
            let size = match g.rng.gen_range(0..100) {
                0..=9 => 0,
                10..=14 => users.len() * g.rng.gen_range(30..60) / 100,
                _ => g.rng.gen_range(1..=20.min(users.len())),
            };
            let mut m: Vec<u32> = everyone.choose_multiple(&mut g.rng, size).copied().collect();
            m.sort_unstable();
            let kind = if g.rng.gen_bool(0.2) { "APP_GROUP" } else { "OKTA_GROUP" };
            (kind, format!("{} {i}", g.pick(DEPTS)), m)
        };
        out.push(Group {
            id: g.id("00g"),
            kind: kind.into(),
            description: (i == 0 || g.rng.gen_bool(0.7)).then(|| format!("{name} members")),
            name,
            created,
            last_updated: created.max(g.past(5, 299)),
            last_membership_updated: created.max(g.past(2, 299)),
            members,
            admin: false,
            source_app: None,
            deleted: false,
        });
    }
    out
}

fn gen_apps(g: &mut Gen, users: &[User], n_groups: usize, n: usize) -> Vec<App> {
    (0..n)
        .map(|i| {
            let mode = SIGN_ON_MODES[i % SIGN_ON_MODES.len()];
            let created = g.past(100, 900);
            let n_users = (users.len() / 10).max(1).min(users.len());
            let mut picked: Vec<u32> = (0..users.len() as u32).collect::<Vec<_>>().choose_multiple(&mut g.rng, n_users).copied().collect();
            picked.sort_unstable();
            let au = picked
                .into_iter()
                .map(|u| AppUser {
                    user: u,
                    scope: if g.rng.gen_bool(0.7) { "USER".into() } else { "GROUP".into() },
                    status: if g.rng.gen_bool(0.9) { "PROVISIONED".into() } else { "ACTIVE".into() },
                    created: g.past(10, 90),
                    last_updated: g.past(1, 9),
                    security_answer: g.secret("answer"),
                    role: "Viewer".into(),
                })
                .collect();
            let k = g.rng.gen_range(0..=3.min(n_groups));
            let mut gs: Vec<u32> = (0..n_groups as u32).collect::<Vec<_>>().choose_multiple(&mut g.rng, k).copied().collect();
            gs.sort_unstable();
            let ag = gs
                .into_iter()
                .enumerate()
                .map(|(p, grp)| AppGroup { group: grp, priority: p as i64, last_updated: g.past(1, 90) })
                .collect();
            App {
                id: g.id("0oa"),
                name: format!("app_{i}"),
                label: format!("App {i} ({mode})"),
                status: if g.rng.gen_bool(0.85) { "ACTIVE".into() } else { "INACTIVE".into() },
                sign_on_mode: mode.into(),
                created,
                last_updated: created.max(g.past(1, 99)),
                secret: g.secret("app"),
                settings_token: g.secret("settings"),
                users: au,
                groups: ag,
                deleted: false,
            }
        })
        .collect()
}

type Roles = (BTreeMap<u32, Vec<RoleAssignment>>, BTreeMap<u32, Vec<RoleAssignment>>);

fn gen_roles(g: &mut Gen, users: &[User], groups: &mut [Group], custom: &[CustomRole], admin: u32, active: &[u32]) -> Roles {
    let mut ur: BTreeMap<u32, Vec<RoleAssignment>> = BTreeMap::new();
    let mut gr: BTreeMap<u32, Vec<RoleAssignment>> = BTreeMap::new();
    let assign = |g: &mut Gen, kind: &str, role: Option<&CustomRole>| RoleAssignment {
        id: g.id("ra1"),
        kind: kind.into(),
        role: role.map(|r| r.id.clone()),
        label: role.map_or_else(|| kind.to_string(), |r| r.label.clone()),
        created: g.past(10, 300),
        group_targets: Vec::new(),
        app_targets: Vec::new(),
    };
    ur.entry(admin).or_default().push(assign(g, "SUPER_ADMIN", None));
    let shadow: Vec<u32> = users.iter().enumerate().filter(|(_, u)| u.status == "shadow").map(|(i, _)| i as u32).collect();
    for (k, kind) in ["ORG_ADMIN", "READ_ONLY_ADMIN", "HELP_DESK_ADMIN", "CUSTOM"].iter().enumerate() {
        if let Some(&u) = active.get(1 + k * 3) {
            let r = (*kind == "CUSTOM").then(|| &custom[0]);
            ur.entry(u).or_default().push(assign(g, kind, r));
        }
    }
    if let Some(&s) = shadow.first() {
        ur.entry(s).or_default().push(assign(g, "REPORT_ADMIN", None));
    }
    let candidates: Vec<usize> = (1..groups.len()).filter(|i| !groups[*i].members.is_empty()).take(2).collect();
    for (k, gi) in candidates.into_iter().enumerate() {
        groups[gi].admin = true;
        let a = if k == 0 { assign(g, "USER_ADMIN", None) } else { assign(g, "CUSTOM", Some(&custom[1])) };
        gr.entry(gi as u32).or_default().push(a);
    }
    (ur, gr)
}

fn gen_policies(g: &mut Gen) -> Vec<Policy> {
    let mut out = Vec::new();
    for kind in SUPPORTED_POLICY_TYPES {
        for j in 0..g.rng.gen_range(1..=2) {
            let n_rules = if *kind == "ACCESS_POLICY" && j == 0 { 25 } else { g.rng.gen_range(1..=3) };
            let created = g.past(100, 900);
            let rules =
                (0..n_rules).map(|r| Rule { id: g.id("0pr"), name: format!("Rule {r}"), priority: r as i64 + 1, created }).collect();
            out.push(Policy {
                id: g.id("00p"),
                kind: kind.to_string(),
                name: if j == 0 { format!("Default {kind}") } else { format!("{kind} policy {j}") },
                description: (j == 0).then(|| format!("Default {kind} policy")),
                priority: j as i64 + 1,
                system: j == 0,
                created,
                last_updated: created.max(g.past(1, 99)),
                rules,
            });
        }
    }
    out
}

fn gen_devices(g: &mut Gen, users: &[User], n: usize) -> Vec<Device> {
    (0..n)
        .map(|i| {
            let created = g.past(10, 400);
            let k = g.rng.gen_range(1..=2);
            let us: Vec<u32> = (0..k).map(|_| g.rng.gen_range(0..users.len() as u32)).collect();
            Device {
                id: g.id("guo"),
                status: match g.rng.gen_range(0..10) {
                    0 => "DELETED",
                    1 => "SUSPENDED",
                    2 => "DEACTIVATED",
                    _ => "ACTIVE",
                }
                .into(),
                created,
                last_updated: created.max(g.past(1, 9)),
                name: format!("DEVICE-{i}"),
                platform: g.pick(&["WINDOWS", "MACOS", "IOS", "ANDROID"]).into(),
                serial: format!("SN{:08}", g.rng.gen_range(0..99_999_999)),
                posture: Vec::new(),
                users: us,
            }
        })
        .collect()
}

fn gen_factors(g: &mut Gen, users: &[User]) -> BTreeMap<u32, Vec<Factor>> {
    let mut out = BTreeMap::new();
    for (i, u) in users.iter().enumerate() {
        if u.status == "DEPROVISIONED" {
            continue;
        }
        let mut fs = Vec::new();
        for _ in 0..g.rng.gen_range(0..=2) {
            let (t, p) = *[("sms", "OKTA"), ("push", "OKTA"), ("token:software:totp", "GOOGLE"), ("webauthn", "FIDO")]
                .choose(&mut g.rng)
                .unwrap_or(&("push", "OKTA"));
            fs.push(Factor {
                id: g.id(if t == "sms" { "sms" } else { "uft" }),
                factor_type: t.into(),
                provider: p.into(),
                status: "ACTIVE".into(),
                created: g.past(5, 300),
                phone: (t == "sms").then(|| format!("+1 555 555 {:04}", g.rng.gen_range(0..9999))),
                shared_secret: None,
            });
        }
        if g.rng.gen_bool(0.1) {
            fs.push(Factor {
                id: g.id("uft"),
                factor_type: "token:software:totp".into(),
                provider: "GOOGLE".into(),
                status: "PENDING_ACTIVATION".into(),
                created: g.past(0, 3),
                phone: None,
                shared_secret: Some(g.secret("totp")),
            });
        }
        if !fs.is_empty() {
            out.insert(i as u32, fs);
        }
    }
    out
}
