//! The code's shape, kept as it was decided: functions of the connector small enough to hold in
//! mind, one place that builds an edge's id, and modules named after what they hold.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice)] // a test binary: unwraps are assertions

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

fn src(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(sub)
}

/// Every function of a rustfmt-formatted file with its first line and its length in lines: from
/// its `fn` line to the closing brace at the same indentation.
fn functions(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let is_fn =
            ["fn ", "pub fn ", "pub(crate) fn ", "async fn ", "pub async fn ", "pub(crate) async fn ", "const fn ", "pub const fn "]
                .iter()
                .any(|p| t.starts_with(p));
        if !is_fn || t.ends_with(';') {
            continue;
        }
        let indent = &l[..l.len() - t.len()];
        let close = format!("{indent}}}");
        if let Some(end) = lines[i..].iter().position(|x| *x == close) {
            out.push((i + 1, t.chars().take(60).collect(), end + 1));
        }
    }
    out
}

#[test]
fn every_function_of_the_connector_is_under_80_lines() {
    let mut long = Vec::new();
    for f in rust_files(&src("src/connector")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (line, name, len) in functions(&text) {
            if len >= 80 {
                long.push(format!("{}:{line} {name} ({len} lines)", f.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

#[test]
fn one_line_builds_an_edge_s_id() {
    let pattern = |l: &str| {
        let Some(i) = l.find("format!(\"{") else { return false };
        let rest = &l[i + 10..];
        rest.find('}').is_some_and(|j| rest[j..].starts_with("}:{"))
    };
    let mut hits = Vec::new();
    for f in rust_files(&src("src")) {
        for (n, l) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
            if pattern(l) {
                hits.push(format!("{}:{}", f.display(), n + 1));
            }
        }
    }
    assert_eq!(hits.len(), 1, "an edge's id is built by ItemType::edge_id alone: {hits:?}");
}

#[test]
fn no_module_is_named_after_a_milestone() {
    for dir in ["src", "tests"] {
        for f in rust_files(&src(dir)) {
            let name = f.file_stem().unwrap().to_string_lossy().to_string();
            assert!(!name.contains("coverage"), "{}: name the module after what it holds", f.display());
        }
    }
}
