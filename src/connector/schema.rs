//! The custom attributes of every user type, read once the same way for the metadata phase and
//! the users job.

use crate::extract::schema;
use crate::extract::users::{self, UserTypeAttrs};
use crate::okta::endpoints::user_types;
use crate::okta::{self, endpoints, OktaClient};

/// The custom attributes of the org's user types.
#[derive(Debug, Clone, Default)]
pub struct UserSchema {
    /// The attributes of every user type, typed and named for extraction.
    pub types: UserTypeAttrs,
    /// Set when the schemas could not be read in full (users then go without custom
    /// attributes, or with the default type's alone).
    pub note: Option<String>,
}

/// Reads the user types and each type's schema (one call plus one per type). Where the types
/// API is not available (404, E0000015) or denied (403), the default schema alone is read; a
/// schema the token may not read (403, 404) gives no custom attributes and a note, not a
/// failure.
pub async fn user_schema(client: &OktaClient) -> Result<UserSchema, okta::Error> {
    let why = match user_types::fetch_with_schemas(client).await {
        Ok(pairs) => {
            let (types, warnings) = users::user_type_attrs(&pairs);
            for w in &warnings {
                tracing::warn!(entity = "users", "{w}");
            }
            return Ok(UserSchema { types, note: None });
        }
        Err(e) if user_types::not_available(&e) || matches!(e, okta::Error::PermissionDenied { .. }) => e,
        Err(e) => return Err(e),
    };
    tracing::warn!(entity = "users", reason = %why, "user types not readable; reading the default user schema alone");
    match endpoints::schemas::user_default(client).await {
        Ok(body) => {
            let (attrs, warnings) = schema::custom_attrs(&body);
            for w in &warnings {
                tracing::warn!(entity = "users", "{w}");
            }
            let note = format!("user types not readable ({why}); only the default user type's custom attributes are extracted");
            Ok(UserSchema { types: UserTypeAttrs::default_only(attrs), note: Some(note) })
        }
        Err(e @ (okta::Error::PermissionDenied { .. } | okta::Error::NotFound { .. })) => {
            let note = format!("user schema not readable ({e}); custom attributes are not extracted");
            tracing::warn!(entity = "users", "{note}");
            Ok(UserSchema { types: UserTypeAttrs::default(), note: Some(note) })
        }
        Err(e) => Err(e),
    }
}
