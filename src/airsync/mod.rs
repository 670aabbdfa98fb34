//! The AirSync worker protocol, as DevRev's TypeScript SDK (1.20) speaks it on the wire.
//!
//! Owns the event envelope, the reply, state, artifact uploads and the phase runtime. It knows
//! nothing about Okta: a source plugs in through [`extractor::Extractor`].

pub mod artifacts;
pub mod devrev;
pub mod event;
pub mod extractor;
pub mod index;
pub mod reply;
pub mod runtime;
pub mod state;
pub mod state_size;
pub mod window;
pub(crate) mod writer;
