//! DevRev's published rules, encoded by hand so the emulator can enforce them: the initial
//! domain mapping against DevRev's initial-mapping schema, a snap-in manifest's keyrings and
//! imports against what DevRev documents, and every extracted record against the metadata.

pub mod idm;
pub mod manifest;
pub mod records;
