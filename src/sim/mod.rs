//! Stand-ins for the two systems around the connector, serving over real HTTP on loopback:
//! an Okta simulator and a DevRev platform emulator. Used by tests, benchmarks and the demo;
//! never by the production path.

pub mod devrev;
pub mod okta;
