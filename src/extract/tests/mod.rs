//! The normalizers' tests: Okta-shaped JSON in, records the metadata validator accepts out,
//! no secret out.

mod access;
mod families;
mod identity;
mod posture;
