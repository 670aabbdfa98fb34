//! Reading back an artifact the worker uploaded (its own index), as ts-adaas's uploader does:
//! `GET /internal/airdrop.artifacts.download-url` for a pre-signed URL, then a plain `GET` of
//! that URL with no Authorization header. The bytes go to a file as they arrive, so a large
//! org's index is never held in memory whole.

use std::io::Write;
use std::path::Path;

use super::{axios_query, DevRevClient, DevRevError, ReadError};

/// The largest artifact read back (bytes, gzipped). The worker's index of a 100 000-user org is
/// a few tens of megabytes; anything far past that is not an index this worker wrote.
pub const MAX_DOWNLOAD_BYTES: usize = 512 * 1024 * 1024;

/// What was written: the byte count and the CRC-32 of the bytes.
pub type Written = (u64, u32);

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

    /// Writes an uploaded artifact's bytes, as uploaded, to the file at `path` (made anew on
    /// each attempt).
    pub async fn download_to(&self, request_id: &str, artifact_id: &str, path: &Path) -> Result<Written, DevRevError> {
        let url = self.download_url(request_id, artifact_id).await?;
        self.send_reading("artifact download", MAX_DOWNLOAD_BYTES, || self.http.get(&url), |r| write_capped(r, MAX_DOWNLOAD_BYTES, path))
            .await
    }
}

/// Writes a body to `path` as it arrives, refusing (and no longer reading) past `cap` bytes.
async fn write_capped(mut r: reqwest::Response, cap: usize, path: &Path) -> Result<Written, ReadError> {
    if r.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(ReadError::Disk)?);
    let mut crc = flate2::Crc::new();
    let mut n: u64 = 0;
    while let Some(c) = r.chunk().await.map_err(ReadError::Transport)? {
        n += c.len() as u64;
        if n > cap as u64 {
            return Err(ReadError::TooLarge);
        }
        crc.update(&c);
        out.write_all(&c).map_err(ReadError::Disk)?;
    }
    out.flush().map_err(ReadError::Disk)?;
    Ok((n, crc.sum()))
}
