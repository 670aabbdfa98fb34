//! Okta: the one shared HTTP client, org URL safety, paging, pacing and typed errors.
//!
//! Knows nothing of DevRev or of normalized records.

pub(crate) mod client;
pub mod credentials;
pub mod endpoints;
pub(crate) mod error;
pub mod oauth;
pub mod org_url;
pub mod paging;
pub mod ratelimit;
pub(crate) mod token;

pub use client::{OktaClient, OktaConfig, RouteStats};
pub use credentials::Credentials;
pub use error::{Error, Grant};
pub use paging::{EndRule, Page, Pager};
pub use token::ApiToken;
