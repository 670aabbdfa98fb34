//! devrev-emu: A strict DevRev platform emulator: callback, state, artifact upload and confirm, snap-in
//! lookup and initial-domain-mapping install, recording every protocol violation; plus a
//! driver that plays the platform through a whole sync.

pub mod platform;
pub mod protocol;
pub mod rules;
pub mod server;
pub mod store;

pub use platform::{Platform, RunReport};
pub use server::{serve, Emu, EmuHandle};
