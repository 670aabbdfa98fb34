//! The simulated `/api/v1` endpoints: what each lists, with which filters, limits and paging.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::filter::{self, Literal, Rules};
use super::gen::SUPPORTED_POLICY_TYPES;
use super::model::{okta_time, LogEvent, Org};
use super::page_size::{self as pages, PageSize};
use super::paging::{decode, encode, slice};
use super::render;
use super::{auth_servers, enrollments, targets};

/// An Okta error to send back.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// errorCode.
    pub code: &'static str,
    /// errorSummary.
    pub summary: String,
}

/// Shorthand for an error.
pub fn okta_error(status: u16, code: &'static str, summary: impl Into<String>) -> ApiError {
    ApiError { status, code, summary: summary.into() }
}

/// A successful answer: body plus, for lists, the `after` of the next page.
pub struct Answer {
    /// The body.
    pub body: Value,
    /// The body as JSON text, when it was assembled from cached texts (then `body` is null).
    pub raw: Option<String>,
    /// The next cursor (encoded), if any; `Some("")` repeats the request (polling).
    pub next_after: Option<String>,
}

/// What a request carries.
pub struct ApiRequest<'a> {
    /// Path segments after `/api/v1/`.
    pub segs: Vec<&'a str>,
    /// Query pairs.
    pub query: Vec<(String, String)>,
    /// The public base URL.
    pub base: &'a str,
    /// Families whose filters are rejected.
    pub reject_filter: &'a [String],
    /// The simulator's now.
    pub now: DateTime<Utc>,
    /// How late System Log events may be persisted after `published` (seconds).
    pub log_lag_secs: u64,
    /// What the request's `Content-Type: ...; okta-response=` asks to omit from users.
    pub omit: render::Omit,
}

impl ApiRequest<'_> {
    /// A query parameter.
    pub(crate) fn q(&self, k: &str) -> Option<&str> {
        self.query.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
    }
    /// The page size asked for, per the endpoint's [`PageSize`]: absent, zero or negative gives
    /// the default, above the maximum is clamped, anything that is not an integer is a 400.
    pub(crate) fn limit(&self, size: PageSize) -> Result<usize, ApiError> {
        match self.q("limit") {
            None => Ok(size.default),
            Some(l) => l
                .trim()
                .parse::<i64>()
                .map(|n| if n <= 0 { size.default } else { usize::try_from(n).unwrap_or(usize::MAX).min(size.max) })
                .map_err(|_| okta_error(400, "E0000001", "Api validation failed: limit")),
        }
    }
    /// The decoded `after` cursor (400 E0000054 when it was not made here).
    pub(crate) fn after(&self) -> Result<Option<String>, ApiError> {
        match self.q("after") {
            None => Ok(None),
            Some(a) => decode(a).map(Some).ok_or_else(|| okta_error(400, "E0000054", "Invalid pagination properties: after")),
        }
    }
    fn expr(&self, family: &str, key: &str, rules: &Rules, code: &'static str) -> Result<Option<filter::Expr>, ApiError> {
        let Some(raw) = self.q(key) else { return Ok(None) };
        if self.reject_filter.iter().any(|f| f == family) {
            return Err(okta_error(400, code, "Invalid search criteria."));
        }
        let e = filter::parse(raw).map_err(|m| okta_error(400, code, format!("Invalid search criteria. {m}")))?;
        filter::check(&e, rules).map_err(|m| okta_error(400, code, format!("Invalid search criteria. {m}")))?;
        Ok(Some(e))
    }
}

fn text(v: &str) -> Option<Literal> {
    Some(Literal::Str(v.to_string()))
}

fn user_attr(org: &Org, i: usize, a: &str) -> Option<Literal> {
    let u = &org.users[i];
    match a {
        "id" => text(&u.id),
        "status" => text(&u.status),
        "created" => text(&okta_time(&u.created)),
        "lastUpdated" => text(&okta_time(&u.last_updated)),
        "statusChanged" => text(&okta_time(&u.status_changed)),
        "activated" => u.activated.as_ref().and_then(|t| text(&okta_time(t))),
        "type.id" => org.user_types.get(u.type_index).and_then(|t| text(&t.id)),
        "profile.login" => text(&u.login),
        "profile.email" => text(u.email.as_deref().unwrap_or(&u.login)),
        "profile.firstName" => text(&u.first_name),
        "profile.lastName" => text(&u.last_name),
        "profile.department" => u.department.as_deref().and_then(text),
        "profile.title" => u.title.as_deref().and_then(text),
        other => {
            let v = u.custom.get(other.strip_prefix("profile.")?)?;
            Some(match v {
                Value::String(x) => Literal::Str(x.clone()),
                Value::Number(n) => Literal::Num(n.as_f64().unwrap_or(0.0)),
                Value::Bool(b) => Literal::Bool(*b),
                _ => return None,
            })
        }
    }
}

fn users(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    let base = r.base;
    if let Some(q) = r.q("q") {
        let q = q.to_lowercase();
        let limit = r.limit(pages::USERS_QUERY)?;
        let items: Vec<Value> = (0..org.users.len())
            .filter(|i| org.users[*i].status != "DEPROVISIONED" && !org.users[*i].deleted)
            .filter(|i| {
                let u = &org.users[*i];
                [&u.login, &u.first_name, &u.last_name].iter().any(|f| f.to_lowercase().starts_with(&q))
            })
            .take(limit)
            .map(|i| {
                let mut v = render::user(org, i as u32, base);
                if r.omit.credentials {
                    v.as_object_mut().map(|m| m.remove("credentials"));
                }
                v
            })
            .collect();
        return Ok(Answer { raw: None, body: Value::Array(items), next_after: None });
    }
    let filt = r.expr("users", "filter", &filter::USERS_FILTER, "E0000031")?;
    let search = r.expr("users", "search", &filter::USERS_SEARCH, "E0000031")?;
    let limit = r.limit(pages::USERS)?;
    let after = r.after()?;
    let expr = filt.or(search);
    let start = after.as_deref().map_or(0, |a| org.users.partition_point(|u| u.id.as_str() <= a));
    let it = (start..org.users.len()).filter(|i| !org.users[*i].deleted).filter(|i| match &expr {
        Some(e) => filter::eval(e, &|a| user_attr(org, *i, a)),
        None => org.users[*i].status != "DEPROVISIONED",
    });
    let (page, next) = slice(it.map(|i| (org.users[i].id.clone(), i)), after.as_deref(), limit);
    let raw = render::users_array(org, page.into_iter().map(|i| i as u32), base, !r.omit.credentials);
    Ok(Answer { raw: Some(raw), body: Value::Null, next_after: next.map(|k| encode(&k)) })
}

fn find_user(org: &Org, id: &str) -> Result<usize, ApiError> {
    if id == "me" {
        return Ok(org.admin_user as usize);
    }
    org.users
        .binary_search_by(|u| u.id.as_str().cmp(id))
        .ok()
        .filter(|i| !org.users[*i].deleted)
        .ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {id} (User)")))
}

fn find_group(org: &Org, id: &str) -> Result<usize, ApiError> {
    org.groups
        .binary_search_by(|g| g.id.as_str().cmp(id))
        .ok()
        .filter(|i| !org.groups[*i].deleted)
        .ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {id} (UserGroup)")))
}

fn find_app(org: &Org, id: &str) -> Result<usize, ApiError> {
    org.apps
        .binary_search_by(|a| a.id.as_str().cmp(id))
        .ok()
        .filter(|i| !org.apps[*i].deleted)
        .ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {id} (AppInstance)")))
}

fn user_roles(org: &Org, ui: usize, r: &ApiRequest) -> Result<Value, ApiError> {
    let (u, base) = (&org.users[ui], r.base);
    let expand = targets::expand(r)?;
    let href = format!("{base}/api/v1/users/{}", u.id);
    let mut out: Vec<Value> = org
        .user_roles
        .get(&(ui as u32))
        .into_iter()
        .flatten()
        .map(|x| targets::with_targets(org, render::role(x, "USER", &href, base), x, expand, base))
        .collect();
    for (gi, roles) in &org.group_roles {
        let g = &org.groups[*gi as usize];
        if g.members.binary_search(&(ui as u32)).is_ok() {
            let gh = format!("{base}/api/v1/groups/{}", g.id);
            out.extend(roles.iter().map(|x| targets::with_targets(org, render::role(x, "GROUP", &gh, base), x, expand, base)));
        }
    }
    Ok(Value::Array(out))
}

fn group_attr(org: &Org, i: usize, a: &str) -> Option<Literal> {
    let g = &org.groups[i];
    match a {
        "id" => text(&g.id),
        "type" => text(&g.kind),
        "created" => text(&okta_time(&g.created)),
        "lastUpdated" => text(&okta_time(&g.last_updated)),
        "lastMembershipUpdated" => text(&okta_time(&g.last_membership_updated)),
        "profile.name" => text(&g.name),
        "profile.description" => g.description.as_deref().and_then(text),
        "source.id" => g.source_app.as_deref().and_then(text),
        _ => None,
    }
}

fn groups(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    let stats = render::GroupExpand::parse(r.q("expand"));
    if let Some(q) = r.q("q") {
        let q = q.to_lowercase();
        let limit = r.limit(pages::GROUPS_QUERY)?;
        let items = (0..org.groups.len())
            .filter(|i| !org.groups[*i].deleted && org.groups[*i].name.to_lowercase().starts_with(&q))
            .take(limit)
            .map(|i| render::group(org, i as u32, r.base, stats))
            .collect();
        return Ok(Answer { raw: None, body: Value::Array(items), next_after: None });
    }
    let filt = r.expr("groups", "filter", &filter::GROUPS_FILTER, "E0000031")?;
    let search = r.expr("groups", "search", &filter::GROUPS_SEARCH, "E0000031")?;
    let expr = filt.or(search);
    let limit = r.limit(pages::GROUPS)?;
    let after = r.after()?;
    let it = (0..org.groups.len())
        .filter(|i| !org.groups[*i].deleted)
        .filter(|i| expr.as_ref().is_none_or(|e| filter::eval(e, &|a| group_attr(org, *i, a))));
    let (page, next) = slice(it.map(|i| (org.groups[i].id.clone(), i)), after.as_deref(), limit);
    Ok(Answer {
        raw: None,
        body: Value::Array(page.into_iter().map(|i| render::group(org, i as u32, r.base, stats)).collect()),
        next_after: next.map(|k| encode(&k)),
    })
}

/// Slices `items` (key-sorted) at the cursor and renders only the page.
pub(crate) fn list_of<T>(
    items: impl Iterator<Item = (String, T)>,
    render: impl Fn(T) -> Value,
    r: &ApiRequest,
    size: PageSize,
) -> Result<Answer, ApiError> {
    let limit = r.limit(size)?;
    let after = r.after()?;
    let (page, next) = slice(items, after.as_deref(), limit);
    Ok(Answer { raw: None, body: Value::Array(page.into_iter().map(render).collect()), next_after: next.map(|k| encode(&k)) })
}

fn body_paged(key: &str, items: Vec<(String, Value)>, r: &ApiRequest, path: &str, limit: usize) -> Result<Answer, ApiError> {
    let after = r.after()?;
    let (page, next) = slice(items.into_iter(), after.as_deref(), limit);
    let mut body = json!({ key: page, "_links": {"self": {"href": format!("{}{path}", r.base)}} });
    if let Some(n) = next {
        body["_links"]["next"] = json!({"href": format!("{}{path}?after={}&limit={limit}", r.base, encode(&n))});
    }
    Ok(Answer { raw: None, body, next_after: None })
}

fn apps(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    let expr = r.expr("apps", "filter", &filter::APPS_FILTER, "E0000031")?;
    let q = r.q("q").map(str::to_lowercase);
    let items = org
        .apps
        .iter()
        .filter(|a| !a.deleted)
        .filter(|a| q.as_ref().is_none_or(|q| a.name.starts_with(q.as_str()) || a.label.to_lowercase().starts_with(q.as_str())))
        .filter(|a| {
            expr.as_ref().is_none_or(|e| {
                filter::eval(e, &|attr| match attr {
                    "status" => text(&a.status),
                    "name" => text(&a.name),
                    "id" => text(&a.id),
                    _ => None,
                })
            })
        })
        .map(|a| (a.id.clone(), a));
    list_of(items, |a| render::app(a, r.base), r, pages::APPS)
}

fn policies(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    let Some(kind) = r.q("type") else { return Err(okta_error(400, "E0000001", "Api validation failed: type is required")) };
    if !SUPPORTED_POLICY_TYPES.contains(&kind) {
        return Err(okta_error(400, "E0000002", "The request was not valid: Invalid policy type specified"));
    }
    let rules = r.q("expand").is_some_and(|e| e.contains("rules"));
    // Policies are kept in id order: the cursor is the last id.
    let items = org.policies.iter().filter(|p| p.kind == kind).map(|p| (p.id.clone(), p));
    let limit = r.limit(pages::POLICIES)?;
    let after = r.after()?;
    let (page, next) = slice(items, after.as_deref(), limit);
    if let Some(p) = page.iter().find(|p| rules && p.rules.len() > pages::EMBEDDED_RULES) {
        return Err(too_many_rules(&p.id));
    }
    Ok(Answer {
        raw: None,
        body: Value::Array(page.into_iter().map(|p| render::policy(p, r.base, rules)).collect()),
        next_after: next.map(|k| encode(&k)),
    })
}

/// A policy of `/api/v1/policies` by id (404 E0000007 otherwise).
fn find_policy<'a>(org: &'a Org, id: &str) -> Result<&'a crate::model::Policy, ApiError> {
    org.policies
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {id} (Policy)")))
}

/// The refusal of `expand=rules` for a page holding a policy of more than 20 rules. Okta
/// documents only that such a request "returns an error" (release notes 2016.x, "embedded
/// rules"), with no status or code: the simulator answers 400 E0000001 ("Api validation
/// failed"), Okta's general precondition error.
fn too_many_rules(policy_id: &str) -> ApiError {
    okta_error(
        400,
        "E0000001",
        format!(
            "Api validation failed: expand. Policy {policy_id} has more than 20 rules; list them with /api/v1/policies/{policy_id}/rules"
        ),
    )
}

/// The key a System Log `after` cursor carries, when it was issued in the current cursor
/// epoch. One issued before `refuse_log_cursors` is refused with 400 E0000001 (Okta documents
/// no code for a refused System Log cursor; E0000001 is its general validation error).
fn log_after(org: &Org, r: &ApiRequest) -> Result<Option<String>, ApiError> {
    let Some(raw) = r.after()? else { return Ok(None) };
    match raw.split_once('~') {
        Some((epoch, key)) if epoch == org.log_cursor_epoch.to_string() => Ok(Some(key.to_string())),
        _ => Err(okta_error(400, "E0000001", "Api validation failed: after. The cursor is no longer valid")),
    }
}

/// A System Log cursor for `key`, stamped with the current epoch.
fn log_cursor(org: &Org, key: &str) -> String {
    encode(&format!("{}~{key}", org.log_cursor_epoch))
}

fn logs(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    let parse_t = |k: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
        match r.q(k) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| okta_error(400, "E0000001", format!("Api validation failed: {k}"))),
        }
    };
    let (since, until) = (parse_t("since")?, parse_t("until")?);
    if since.is_some() && r.q("after").is_some() {
        return Err(okta_error(400, "E0000001", "Api validation failed: since and after are mutually exclusive"));
    }
    if let Some(q) = r.q("q") {
        if q.split_whitespace().any(|w| w.chars().count() > 40) {
            return Err(okta_error(400, "E0000001", "Api validation failed: q keyword longer than 40 characters"));
        }
    }
    let expr = r.expr("logs", "filter", &filter::LOGS_FILTER, "E0000053")?;
    let retention = r.now - Duration::days(90);
    if since.is_some_and(|s| s < r.now - Duration::days(180)) {
        return Err(okta_error(400, "E0000053", "Invalid SCIM filter: since is older than 180 days"));
    }
    let limit = r.limit(pages::LOGS)?;
    let after = log_after(org, r)?;
    let polling = until.is_none();
    // With a cursor the position comes from it: the next links carry no `since`.
    let lower = match (&after, since) {
        (Some(_), _) => retention,
        (None, Some(s)) => s.max(retention),
        (None, None) => (until.unwrap_or(r.now) - Duration::days(7)).max(retention),
    };
    let upper = until.unwrap_or(r.now);
    // The log is kept in persistence order. Polling filters and pages on persistence time, as
    // Okta's does, so an event persisted late is still returned by the next poll; a bounded
    // query filters on `published` and misses an event that was not yet persisted.
    let start = org.logs.partition_point(|e| e.persisted < lower);
    let lag = Duration::seconds(r.log_lag_secs as i64);
    let polling_key = |e: &LogEvent| format!("{:015}|{}", e.persisted.timestamp_millis(), e.uuid);
    let bounded_key = |e: &LogEvent| format!("{:015}|{}", e.published.timestamp_millis(), e.uuid);
    let key = |e: &LogEvent| if polling { polling_key(e) } else { bounded_key(e) };
    let mut window: Vec<&LogEvent> = org.logs[start..]
        .iter()
        .take_while(|e| if polling { e.persisted <= upper } else { e.persisted < upper + lag })
        .filter(|e| e.persisted <= r.now && (polling || (e.published >= lower && e.published < upper)))
        .collect();
    if !polling && r.log_lag_secs > 0 {
        window.sort_by_cached_key(|e| bounded_key(e));
    }
    let it = window
        .into_iter()
        .filter(|e| {
            expr.as_ref().is_none_or(|x| {
                filter::eval(x, &|a| match a {
                    "eventType" => text(&e.event_type),
                    "severity" => text(&e.severity),
                    "actor.id" => text(&org.users[e.actor as usize].id),
                    "target.id" => e.targets.first().and_then(|t| text(&render::log_target_id(org, *t))),
                    _ => None,
                })
            })
        })
        .map(|e| (key(e), e));
    let (page, next) = slice(it, after.as_deref(), limit);
    let next_after = match (polling, next, page.last()) {
        (_, Some(n), _) => Some(log_cursor(org, &n)),
        (true, None, Some(last)) => Some(log_cursor(org, &key(last))),
        (true, None, None) => Some(String::new()),
        (false, None, _) => None,
    };
    Ok(Answer { raw: None, body: Value::Array(page.into_iter().map(|e| render::log_event(org, e)).collect()), next_after })
}

fn devices(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    let expr = r.expr("devices", "search", &filter::DEVICES_SEARCH, "E0000031")?;
    let expand = r.q("expand").is_some_and(|e| e == "user" || e == "userSummary");
    let items = org
        .devices
        .iter()
        .filter(|d| d.status != "DELETED")
        .filter(|d| {
            expr.as_ref().is_none_or(|e| {
                filter::eval(e, &|a| match a {
                    "id" => text(&d.id),
                    "status" => text(&d.status),
                    "lastUpdated" => text(&okta_time(&d.last_updated)),
                    "profile.displayName" => text(&d.name),
                    "profile.platform" => text(&d.platform),
                    "profile.serialNumber" => text(&d.serial),
                    _ => None,
                })
            })
        })
        .map(|d| (d.id.clone(), d));
    list_of(items, |d| render::device(org, d, r.base, expand), r, pages::DEVICES)
}

/// Dispatches one GET.
pub fn dispatch(org: &Org, r: &ApiRequest) -> Result<Answer, ApiError> {
    if let Some(answer) = crate::api_posture::dispatch(org, r) {
        return answer;
    }
    let base = r.base;
    let one = |body: Value| Ok(Answer { raw: None, body, next_after: None });
    match r.segs.as_slice() {
        ["users"] => users(org, r),
        ["users", id] => one(render::user_single(org, find_user(org, id)? as u32, base, r.omit)),
        ["users", id, "roles"] => one(user_roles(org, find_user(org, id)?, r)?),
        ["users", id, "roles", ra, "targets", rest @ ..] => {
            let ui = find_user(org, id)?;
            targets::list(org, org.user_roles.get(&(ui as u32)).into_iter().flatten(), ra, rest, r)
        }
        ["users", id, "authenticator-enrollments"] => enrollments::list(org, find_user(org, id)?, r),
        ["users", id, "factors"] => {
            let ui = find_user(org, id)?;
            let u = &org.users[ui];
            // A factor of a type the org disabled (`system.mfa.factor.deactivate`) is not listed.
            let listed =
                org.factors.get(&(ui as u32)).into_iter().flatten().filter(|f| !org.disabled_factor_types.contains(&f.factor_type));
            one(Value::Array(listed.map(|f| render::factor(u, f, base)).collect()))
        }
        ["groups"] => groups(org, r),
        ["groups", id] => one(render::group(org, find_group(org, id)? as u32, base, render::GroupExpand::parse(r.q("expand")))),
        ["groups", id, "users"] => {
            let g = &org.groups[find_group(org, id)?];
            // Members are kept in user order, which is id order: the cursor can seek.
            let after = r.after()?;
            let start = after.as_deref().map_or(0, |a| g.members.partition_point(|i| org.users[*i as usize].id.as_str() <= a));
            let items = g.members[start..].iter().map(|i| (org.users[*i as usize].id.clone(), *i));
            let limit = r.limit(pages::GROUP_MEMBERS)?;
            let (page, next) = slice(items, after.as_deref(), limit);
            Ok(Answer {
                // listGroupUsers takes no `okta-response` header: credentials always come.
                raw: Some(render::users_array(org, page.into_iter(), base, true)),
                body: Value::Null,
                next_after: next.map(|k| encode(&k)),
            })
        }
        ["groups", id, "roles"] => {
            let gi = find_group(org, id)?;
            let href = format!("{base}/api/v1/groups/{}", org.groups[gi].id);
            let expand = targets::expand(r)?;
            one(Value::Array(
                org.group_roles
                    .get(&(gi as u32))
                    .into_iter()
                    .flatten()
                    .map(|x| targets::with_targets(org, render::role(x, "GROUP", &href, base), x, expand, base))
                    .collect(),
            ))
        }
        ["groups", id, "roles", ra, "targets", rest @ ..] => {
            let gi = find_group(org, id)?;
            targets::list(org, org.group_roles.get(&(gi as u32)).into_iter().flatten(), ra, rest, r)
        }
        ["iam", "roles"] => body_paged(
            "roles",
            org.custom_roles.iter().map(|c| (c.id.clone(), render::custom_role(c, base))).collect(),
            r,
            "/api/v1/iam/roles",
            pages::IAM_ROLES.default,
        ),
        ["iam", "assignees", "users"] => {
            let limit = r.limit(pages::IAM_ASSIGNEES)?;
            let mut ids: Vec<(String, Value)> = org
                .user_roles
                .keys()
                .map(|i| {
                    let u = &org.users[*i as usize];
                    (u.id.clone(), json!({"id": u.id, "orn": format!("orn:okta:directory:{}:users:{}", org.org_id, u.id),
                        "_links": {"self": {"href": format!("{base}/api/v1/users/{}", u.id)}, "roles": {"href": format!("{base}/api/v1/users/{}/roles", u.id)}}}))
                })
                .collect();
            ids.sort_by(|a, b| a.0.cmp(&b.0));
            body_paged("value", ids, r, "/api/v1/iam/assignees/users", limit)
        }
        ["apps"] => apps(org, r),
        ["apps", id] => one(render::app(&org.apps[find_app(org, id)?], base)),
        ["apps", id, "users"] => {
            let a = &org.apps[find_app(org, id)?];
            if r.q("filter").is_some() {
                return Err(okta_error(400, "E0000031", "Invalid search criteria."));
            }
            // Assignments are kept in user order, which is id order.
            let items = a.users.iter().map(|au| (org.users[au.user as usize].id.clone(), au));
            list_of(items, |au| render::app_user(org, a, au, base), r, pages::APP_USERS)
        }
        ["apps", id, "groups"] => {
            let a = &org.apps[find_app(org, id)?];
            let items = a.groups.iter().map(|ag| (org.groups[ag.group as usize].id.clone(), ag));
            let limit = r.limit(pages::APP_GROUPS)?.max(pages::APP_GROUPS_MIN);
            let after = r.after()?;
            let (page, next) = slice(items, after.as_deref(), limit);
            Ok(Answer {
                raw: None,
                body: Value::Array(page.into_iter().map(|ag| render::app_group(org, a, ag, base)).collect()),
                next_after: next.map(|k| encode(&k)),
            })
        }
        ["policies"] => policies(org, r),
        ["policies", id] => {
            let p = find_policy(org, id)?;
            let rules = r.q("expand").is_some_and(|e| e.contains("rules"));
            if rules && p.rules.len() > pages::EMBEDDED_RULES {
                return Err(too_many_rules(&p.id));
            }
            one(render::policy(p, base, rules))
        }
        ["policies", id, "rules"] => {
            let p = find_policy(org, id)?;
            // Rules come in priority order; the cursor is the priority and id of the last one.
            let items = p.rules.iter().map(|x| (format!("{:010}|{}", x.priority, x.id), x));
            list_of(items, |x| render::rule(p, x), r, pages::POLICY_RULES)
        }
        ["logs"] => logs(org, r),
        ["devices"] => devices(org, r),
        ["org"] => one(json!({"id": org.org_id, "subdomain": org.subdomain, "companyName": "Sim Acme Corp", "status": "ACTIVE",
            "website": "https://sim-acme.example", "created": okta_time(&(org.anchor - Duration::days(1500))), "lastUpdated": okta_time(&org.anchor),
            "expiresAt": null, "country": "United States"})),
        ["meta", "types", "user"] => {
            let by = &org.users[org.admin_user as usize].id;
            one(Value::Array(org.user_types.iter().map(|t| render::user_type(t, base, by)).collect()))
        }
        ["meta", "schemas", "user", id] => {
            let t = org
                .user_types
                .iter()
                .find(|t| t.schema_id == *id || (t.default && *id == "default"))
                .ok_or_else(|| okta_error(404, "E0000007", format!("Not found: Resource not found: {id} (UserSchema)")))?;
            one(render::user_schema(t, base))
        }
        ["authorizationServers", rest @ ..] => auth_servers::dispatch(org, rest, r),
        _ => Err(okta_error(404, "E0000008", "The requested path was not found")),
    }
}
