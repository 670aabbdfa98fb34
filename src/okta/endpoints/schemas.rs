//! Schemas.

use super::*;

/// The default user type's schema (custom attributes live under `definitions.custom`).
pub async fn user_default(client: &OktaClient) -> Result<serde_json::Value, Error> {
    Ok(client.get(&client.url(&format!("{}/default", super::user_types::SCHEMA_PATH), &[])).await?.body)
}
