//! Reading back an artifact the worker uploaded (its own index), as ts-adaas's uploader does:
//! `GET /internal/airdrop.artifacts.download-url` for a pre-signed URL, then a plain `GET` of
//! that URL with no Authorization header.

use super::{axios_query, DevRevClient, DevRevError};

/// The largest artifact read back (bytes, gzipped). The worker's index of a 100 000-user org is
/// a few tens of megabytes; anything far past that is not an index this worker wrote.
pub const MAX_DOWNLOAD_BYTES: usize = 512 * 1024 * 1024;

impl DevRevClient {
    /// The pre-signed URL of an uploaded artifact.
    pub async fn download_url(&self, request_id: &str, artifact_id: &str) -> Result<String, DevRevError> {
        const EP: &str = "artifacts.download-url";
        let url = self.endpoint_url(
            EP,
            "/internal/airdrop.artifacts.download-url",
            &axios_query(&[("request_id", request_id), ("artifact_id", artifact_id)]),
        )?;
        let body = self.artifact_get(EP, &url).await?;
        super::text_field(&body, EP, "download_url")
    }

    /// An uploaded artifact's bytes, as uploaded.
    pub async fn download(&self, request_id: &str, artifact_id: &str) -> Result<Vec<u8>, DevRevError> {
        let url = self.download_url(request_id, artifact_id).await?;
        self.send("artifact download", MAX_DOWNLOAD_BYTES, || self.http.get(&url)).await
    }
}
