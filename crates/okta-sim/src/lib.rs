//! A faithful Okta simulator (as Okta's Management API reference documents it): a seeded org, real paging with opaque
//! cursors, the filter grammar with per-endpoint allow-lists, rate limits on every response,
//! fault injection, and `/__sim` control endpoints (stats, truth, mutate, advance).

pub mod api;
pub mod api_posture;
pub mod auth_servers;
pub mod churn;
pub mod edits;
pub mod enrollments;
pub mod events;
pub mod filter;
pub mod gen;
pub mod lifecycle;
pub mod limits;
pub mod model;
pub mod mutate;
pub mod mutate_posture;
pub mod oauth;
pub mod page_size;
pub mod paging;
pub mod posture;
pub mod render;
pub mod render_posture;
pub mod server;
pub mod targets;
pub mod truth;

pub use gen::Sizes;
pub use limits::Tier;
pub use oauth::OAuthApp;
pub use server::{serve, serve_tls, start, Faults, Sim, SimConfig, SimHandle};
