//! DevRev's published rules, encoded by hand so the emulator can enforce them: the initial
//! domain mapping against DevRev's initial-mapping schema, and a snap-in manifest's keyrings and
//! imports against what DevRev documents.

pub mod idm;
pub mod manifest;
