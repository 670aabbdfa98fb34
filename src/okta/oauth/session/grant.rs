//! The token endpoint exchange of a session: the signed client assertion, the
//! `client_credentials` request, DPoP and nonce challenges, transient retries, and the answer
//! read into an [`AccessToken`].

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::header::HeaderName;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{
    sensitive, AccessToken, OAuthSession, ASSERTION_LIFE_SECS, ASSERTION_TYPE, MAX_ANSWER_BYTES, MAX_NONCE_ROUNDS, REFRESH_MARGIN,
};
use crate::okta::oauth::TOKEN_ENDPOINT;
use crate::okta::Error;

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Refusal {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// What one token-endpoint round gave.
enum Round {
    Token(AccessToken),
    /// Send again (a nonce or DPoP was asked for, or a transient failure after its wait).
    Again,
}

impl OAuthSession {
    fn assertion(&self) -> Result<String, Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = AssertionClaims {
            iss: &self.app.client_id,
            sub: &self.app.client_id,
            aud: self.token_url.as_str(),
            iat: now,
            exp: now + ASSERTION_LIFE_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = jsonwebtoken::Header::new(self.app.key.alg());
        header.kid = self.app.key_id.clone().or_else(|| self.app.key.jwk_kid.clone());
        jsonwebtoken::encode(&header, &claims, self.app.key.encoding_key()).map_err(|e| Error::Unreachable {
            endpoint: TOKEN_ENDPOINT.into(),
            detail: format!("signing the client assertion failed ({e})"),
        })
    }

    /// Requests a token, following DPoP and nonce challenges and retrying transient failures.
    pub(super) async fn fetch(&self, http: &reqwest::Client) -> Result<AccessToken, Error> {
        let (mut transient, mut nonce_rounds) = (0usize, 0u32);
        loop {
            match self.round(http, &mut transient, &mut nonce_rounds).await? {
                Round::Token(t) => {
                    self.grants.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(client_id = %self.app.client_id, dpop = t.dpop, "obtained an OAuth access token");
                    return Ok(t);
                }
                Round::Again => continue,
            }
        }
    }

    async fn round(&self, http: &reqwest::Client, transient: &mut usize, nonce_rounds: &mut u32) -> Result<Round, Error> {
        let assertion = self.assertion()?;
        let scope = self.app.scopes.join(" ");
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", scope.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ];
        let mut req = http.post(self.token_url.clone()).header(reqwest::header::ACCEPT, "application/json").form(&form);
        if self.dpop.load(Ordering::Relaxed) {
            let proof = self
                .dpop_key
                .proof("POST", &self.token_url, None, self.nonce().as_deref())
                .map_err(|detail| Error::Unreachable { endpoint: TOKEN_ENDPOINT.into(), detail })?;
            req = req.header(HeaderName::from_static("dpop"), sensitive(&proof, || TOKEN_ENDPOINT.into())?);
        }
        self.posts.fetch_add(1, Ordering::Relaxed);
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let is_connect = e.is_connect();
                return self.transient(transient, e.without_url().to_string(), is_connect).await;
            }
        };
        let status = resp.status();
        self.observe_nonce(resp.headers());
        let body = read_capped(resp).await;
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return self.transient(transient, format!("HTTP {}", status.as_u16()), false).await;
        }
        let body = body.map_err(|detail| Error::BadBody { endpoint: TOKEN_ENDPOINT.into(), detail })?;
        if status.is_success() {
            return self.granted(&body).map(Round::Token);
        }
        let r: Refusal = serde_json::from_slice(&body).unwrap_or_default();
        let dpop_on = self.dpop.load(Ordering::Relaxed);
        match r.error.as_str() {
            "invalid_dpop_proof" if !dpop_on => {
                tracing::info!("the token endpoint requires DPoP; sending proofs");
                self.dpop.store(true, Ordering::Relaxed);
                Ok(Round::Again)
            }
            "use_dpop_nonce" if *nonce_rounds < MAX_NONCE_ROUNDS => {
                *nonce_rounds += 1;
                self.dpop.store(true, Ordering::Relaxed);
                Ok(Round::Again)
            }
            _ => Err(Error::OAuthRefused {
                endpoint: TOKEN_ENDPOINT.into(),
                status: status.as_u16(),
                error: if r.error.is_empty() { format!("HTTP {}", status.as_u16()) } else { r.error },
                description: r.error_description,
            }),
        }
    }

    fn granted(&self, body: &[u8]) -> Result<AccessToken, Error> {
        let g: Granted = serde_json::from_slice(body)
            .map_err(|_| Error::BadBody { endpoint: TOKEN_ENDPOINT.into(), detail: "the token answer has no access_token".into() })?;
        let dpop = g.token_type.eq_ignore_ascii_case("DPoP");
        if dpop {
            self.dpop.store(true, Ordering::Relaxed);
        }
        let life = Duration::from_secs(g.expires_in.unwrap_or(3600));
        let margin = REFRESH_MARGIN.min(life / 4);
        Ok(AccessToken { value: SecretString::from(g.access_token), dpop, refresh_at: Instant::now() + life - margin })
    }

    async fn transient(&self, transient: &mut usize, detail: String, is_connect: bool) -> Result<Round, Error> {
        match self.retry_delays.get(*transient).copied() {
            Some(d) => {
                *transient += 1;
                tracing::warn!(endpoint = TOKEN_ENDPOINT, error = %detail, "token request failed; retrying");
                tokio::time::sleep(d).await;
                Ok(Round::Again)
            }
            None if is_connect => Err(Error::Unreachable { endpoint: TOKEN_ENDPOINT.into(), detail }),
            None => Err(Error::Transient { endpoint: TOKEN_ENDPOINT.into(), detail }),
        }
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    while let Some(c) = resp.chunk().await.map_err(|e| format!("the answer was cut off ({})", e.without_url()))? {
        if buf.len() + c.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer exceeds {MAX_ANSWER_BYTES} bytes"));
        }
        buf.extend_from_slice(&c);
    }
    Ok(buf)
}
