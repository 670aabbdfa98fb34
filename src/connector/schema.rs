//! The user schema's custom attributes, read once the same way for the metadata phase and the
//! users job.

use crate::extract::schema::{self, CustomAttr};
use crate::okta::{self, endpoints, OktaClient};

/// The custom attributes of the default user type.
#[derive(Debug, Clone, Default)]
pub struct UserSchema {
    /// The attributes typed for extraction.
    pub attrs: Vec<CustomAttr>,
    /// Set when the schema could not be read (users then go without custom attributes).
    pub note: Option<String>,
}

/// Reads the user schema. A schema the token may not read (403, 404) gives no custom
/// attributes and a note, not a failure.
pub async fn user_schema(client: &OktaClient) -> Result<UserSchema, okta::Error> {
    match endpoints::schemas::user_default(client).await {
        Ok(body) => {
            let (attrs, warnings) = schema::custom_attrs(&body);
            for w in &warnings {
                tracing::warn!(entity = "users", "{w}");
            }
            Ok(UserSchema { attrs, note: None })
        }
        Err(e @ (okta::Error::PermissionDenied { .. } | okta::Error::NotFound { .. })) => {
            let note = format!("user schema not readable ({e}); custom attributes are not extracted");
            tracing::warn!(entity = "users", "{note}");
            Ok(UserSchema { attrs: Vec::new(), note: Some(note) })
        }
        Err(e) => Err(e),
    }
}
