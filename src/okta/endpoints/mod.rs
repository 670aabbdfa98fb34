//! Every Okta endpoint the connector reads, in one place: its path, its query parameters, its
//! page size and what its error codes mean. Jobs ask for "the user list filtered by X" and
//! never build a path, pick a page size or read an errorCode themselves.
//!
//! List functions return the URL of the first page (walk it with a [`super::Pager`]; a stored
//! cursor replaces it on resume). Single-object functions fetch and type the answer.

use serde::Deserialize;
use url::Url;

use super::client::OktaClient;
use super::error::Error;
use serde_json::Value;

pub mod apps;
pub mod auth_servers;
pub mod devices;
pub mod enrollments;
pub mod groups;
pub mod iam;
pub mod logs;
pub mod org;
pub mod policies;
pub mod role_targets;
pub mod schemas;
pub mod sign_in_config;
pub mod user_types;
pub mod users;

/// GETs one object and reads it into `T`.
async fn fetch_as<T: serde::de::DeserializeOwned>(client: &OktaClient, url: &Url) -> Result<T, Error> {
    let body = client.get(url).await?.body;
    serde_json::from_value(body)
        .map_err(|e| Error::BadBody { endpoint: format!("GET {}", url.path()), detail: format!("unexpected JSON ({e})") })
}

/// GETs a URL whose answer is one JSON array (not paged).
async fn fetch_array(client: &OktaClient, url: &Url) -> Result<Vec<Value>, Error> {
    match client.get(url).await?.body {
        Value::Array(a) => Ok(a),
        _ => Err(Error::BadBody { endpoint: format!("GET {}", url.path()), detail: "expected a JSON array".into() }),
    }
}

/// An id taken from a link or a record, checked to be one path segment of letters, digits,
/// `-` and `_` (so it cannot change the path it is put into).
fn id_segment(id: &str, endpoint: &str) -> Result<String, Error> {
    if !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(id.to_string())
    } else {
        Err(Error::BadBody { endpoint: endpoint.to_string(), detail: "an id that is not a plain path segment".into() })
    }
}
