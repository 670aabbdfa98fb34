//! Crash points: named places on the path from a record to a reply where the deterministic
//! crash tests end the worker process abruptly, as a kill or the platform's hard limit would.
//!
//! Built only with the `failpoints` feature (never in a release build): a point named in the
//! `FAILPOINTS` environment variable with the `return` action aborts the process there
//! (`FAILPOINTS='writer.upload.after=2*off->return'` aborts at its third hit). Abort, not panic:
//! tokio catches a panic inside a task, and a crash must leave nothing behind but what was
//! already written. Without the feature every point compiles to nothing.

/// Reads `FAILPOINTS` once at start-up; the guard must live as long as the process.
#[cfg(feature = "failpoints")]
pub fn setup() -> fail::FailScenario<'static> {
    fail::FailScenario::setup()
}

/// A crash point: ends the process here when the crash tests ask for it. With `CRASH_TRACE`
/// naming a file, every hit also appends the point's name to it, so a test learns which points
/// an uncrashed run passes and how often.
#[cfg(feature = "failpoints")]
pub fn point(name: &str) {
    fn die(_: Option<String>) {
        std::process::abort()
    }
    if let Some(path) = std::env::var_os("CRASH_TRACE") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{name}");
        }
    }
    let _: Option<()> = fail::eval(name, die);
}

/// A crash point: nothing without the `failpoints` feature.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn point(_name: &str) {}
