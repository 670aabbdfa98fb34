//! User types (`/api/v1/meta/types/user`) and each type's schema.

use super::*;

/// The path of the type list.
pub const LIST_PATH: &str = "/api/v1/meta/types/user";
/// The path under which user schemas live.
pub const SCHEMA_PATH: &str = "/api/v1/meta/schemas/user";

/// The user types (one JSON array, not paged: an org holds at most a few dozen).
pub fn list(client: &OktaClient) -> Url {
    client.url(LIST_PATH, &[])
}

/// Fetches the user types.
pub async fn fetch(client: &OktaClient) -> Result<Vec<Value>, Error> {
    fetch_array(client, &list(client)).await
}

/// The schema of one user type: the schema id is the last segment of the type's
/// `_links.schema.href` (Okta's schema ids, `osc…`, differ from type ids); a default type
/// without that link uses `default`. The URL is built on the org's origin, never taken from
/// the link as is.
pub fn schema_url(client: &OktaClient, user_type: &Value) -> Result<Url, Error> {
    let from_link = user_type.pointer("/_links/schema/href").and_then(Value::as_str).and_then(|h| {
        let path = h.split(['?', '#']).next().unwrap_or("");
        path.trim_end_matches('/').rsplit('/').next().map(str::to_string)
    });
    let is_default = user_type.get("default").and_then(Value::as_bool) == Some(true);
    let schema_id = match from_link {
        Some(id) => id,
        None if is_default => "default".to_string(),
        None => return Err(Error::BadBody { endpoint: format!("GET {LIST_PATH}"), detail: "a user type without a schema link".into() }),
    };
    let id = id_segment(&schema_id, &format!("GET {LIST_PATH}"))?;
    Ok(client.url(&format!("{SCHEMA_PATH}/{id}"), &[]))
}

/// Fetches one user type's schema (custom attributes under `definitions.custom`).
pub async fn fetch_schema(client: &OktaClient, user_type: &Value) -> Result<Value, Error> {
    Ok(client.get(&schema_url(client, user_type)?).await?.body)
}

/// The type list and each type's schema: one call plus one per type, the fewest there are.
pub async fn fetch_with_schemas(client: &OktaClient) -> Result<Vec<(Value, Value)>, Error> {
    let mut out = Vec::new();
    for t in fetch(client).await? {
        let schema = fetch_schema(client, &t).await?;
        out.push((t, schema));
    }
    Ok(out)
}

/// 404 or E0000015 on the type list: this org or token has no user types API; read the
/// default schema alone (`endpoints::schemas::user_default`) instead. A 403 is a
/// permission gap, for the job's usual 403 rule.
pub fn not_available(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. }) || e.feature_unavailable()
}
