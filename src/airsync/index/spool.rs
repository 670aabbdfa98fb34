//! Index parts on disk. A part read back from DevRev, and the base a compaction writes, are
//! temporary files read and written as streams: a 100 000-user org's index is tens of
//! megabytes gzipped, and the worker keeps none of it in memory whole. Each file is removed
//! when its [`Spool`] is dropped (a killed process leaves it in the temporary directory, which
//! the platform clears with the function's sandbox).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One temporary file of index bytes.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
}

/// The start of every spool file's name; the process id follows.
const PREFIX: &str = "okta-airsync-index-";

/// Removes the spool files of processes that are gone (a worker killed mid-invocation leaves
/// its files: a long-lived `serve` or a reused sandbox would otherwise gather them). Only where
/// `/proc` tells which processes live (Linux, as the snap-in runs); elsewhere nothing is removed.
fn sweep_orphans() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)).and_then(|rest| rest.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Spool {
    /// A new, empty file of this process's, in the system's temporary directory (the first
    /// one sweeps away the files of processes that are gone).
    pub fn create() -> std::io::Result<(Spool, File)> {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(sweep_orphans);
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{PREFIX}{}-{n}.jsonl.gz", std::process::id()));
        let file = File::create(&path)?;
        Ok((Spool { path }, file))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size in bytes.
    pub fn size(&self) -> std::io::Result<u64> {
        Ok(std::fs::metadata(&self.path)?.len())
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A part's gzipped bytes: small ones (the state's) in memory, the rest on disk.
#[derive(Debug, Clone)]
pub enum Data {
    /// In memory.
    Mem(Arc<[u8]>),
    /// In a temporary file.
    Disk(Arc<Spool>),
}

impl Data {
    /// A reader of the bytes from their start.
    pub fn reader(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Data::Mem(b) => Box::new(std::io::Cursor::new(b.clone())),
            Data::Disk(s) => Box::new(std::io::BufReader::with_capacity(64 * 1024, File::open(s.path())?)),
        })
    }

    /// Every byte (for a small part).
    pub fn read_all(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.reader()?.read_to_end(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_of_a_process_that_is_gone_are_swept_and_its_own_stay() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        // No process has this id (Linux's pid_max is at most 2^22).
        let orphan = std::env::temp_dir().join(format!("{PREFIX}4294967295-7.jsonl.gz"));
        std::fs::write(&orphan, b"x").unwrap();
        let (mine, _file) = Spool::create().unwrap();
        sweep_orphans();
        assert!(!orphan.exists(), "a gone process's file is removed");
        assert!(mine.path().exists(), "this process's file stays");
    }
}
