//! The binary: exit codes, one clear stderr line, `--help` everywhere.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_okta-airsync"))
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["run", "serve", "devrev", "sim", "check", "demo"] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"), "{sub}");
    }
}

#[test]
fn an_event_that_is_not_json_exits_non_zero_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ev.json");
    std::fs::write(&f, "this is not json").unwrap();
    let out = bin().args(["run", "--event", f.to_str().unwrap()]).env("RUST_LOG", "off").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not valid JSON"), "{err}");
    let out = bin().args(["run", "--event", "/no/such/file"]).env("RUST_LOG", "off").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file"));
}

#[test]
fn an_event_whose_callback_is_missing_cannot_be_answered_and_exits_non_zero() {
    let text = devrev_emu::platform::TEMPLATE;
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v[0]["payload"]["event_context"].as_object_mut().unwrap().remove("callback_url");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ev.json");
    std::fs::write(&f, v.to_string()).unwrap();
    let out = bin().args(["run", "--event", f.to_str().unwrap()]).env("RUST_LOG", "off").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("callback_url") && err.contains("no reply could be sent"), "{err}");
}

#[test]
fn check_explains_a_bad_domain_without_calling_anything() {
    let out = bin()
        .args(["check", "--domain", "okta.com.evil.com"])
        .env("OKTA_API_TOKEN", "t")
        .env_remove("OKTA_AIRSYNC_BASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only looks like an Okta domain"));
}

#[test]
fn the_demo_runs_and_writes_a_report_with_the_fixed_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["demo", "--no-live", "--users", "80", "--groups", "10", "--apps", "5", "--devices", "15", "--log-events", "300", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["violations"], serde_json::json!([]));
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs[0]["mode"], "INITIAL");
    assert_eq!(runs[1]["mode"], "INCREMENTAL");
    for r in runs {
        assert_eq!(r["outcome"], "DONE");
        for k in ["invocations", "wall_ms", "api_calls", "min_api_calls", "rate_limited", "retries", "artifacts", "parents_gone"] {
            assert!(r[k].is_u64(), "{k}");
        }
    }
    let entities = runs[0]["entities"].as_object().unwrap();
    assert_eq!(entities.len(), okta_airsync::extract::ITEM_TYPES.len());
    // Each data-phase call is counted under one entity, once, both rounds of the run together
    // (the full reading and its catch-up share one client): the entities' calls add up to the
    // run's, less the few of the sync-unit and metadata phases.
    let per_entity: u64 = entities.values().map(|e| e["api_calls"].as_u64().unwrap()).sum();
    let total = runs[0]["api_calls"].as_u64().unwrap();
    assert!(per_entity <= total && per_entity + 8 >= total, "entities {per_entity}, run {total}");
    for (t, e) in entities {
        assert_eq!(e["records"], e["expected"], "{t}");
        assert!(e["expected"].as_u64().unwrap() > 0, "{t}");
        assert!(["full", "incremental", "skipped"].contains(&e["mode"].as_str().unwrap()));
        assert_eq!(e["read"], e["mode"], "{t}: a first sync reads as its mode says");
        assert_eq!(e["tombstones"], 0, "{t}");
    }
    // The incremental run reads the System Log's entities by its events, and sends the
    // deletions it made as tombstones.
    let inc = runs[1]["entities"].as_object().unwrap();
    for t in ["factors", "app_user_assignments", "iam_role_members", "policies"] {
        assert_eq!(inc[t]["read"], "log-driven", "{t}");
    }
    assert_eq!(inc["users"]["read"], "incremental");
    let tombstones: u64 = inc.values().map(|e| e["tombstones"].as_u64().unwrap()).sum();
    assert!(tombstones > 0, "the demo's deletions reach DevRev");
    assert!(runs[1]["api_calls"].as_u64() < runs[0]["api_calls"].as_u64(), "the incremental run makes fewer calls");
    for f in ["users.jsonl", "external_domain_metadata.json", "state.json", "events.jsonl"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
}

#[test]
fn the_demo_with_a_denied_entity_reports_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "demo",
            "--no-live",
            "--users",
            "40",
            "--groups",
            "6",
            "--apps",
            "3",
            "--devices",
            "5",
            "--log-events",
            "50",
            "--deny",
            "system_logs",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let e = &report["runs"][0]["entities"]["system_logs"];
    assert_eq!(e["mode"], "skipped");
    assert!(e["note"].as_str().unwrap().contains("403"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_prints_the_org_and_the_token_owner() {
    let h = okta_sim::start(crate::helpers::small(3)).await.unwrap();
    let base = h.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        bin().args(["check", "--domain", "sim-acme", "--okta-base-url", &base]).env("OKTA_API_TOKEN", "sim-token").output().unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("OK: connected to org sim-acme (Sim Acme Corp)") && text.contains("@sim-acme.example"), "{text}");
    let base = h.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        bin().args(["check", "--domain", "x", "--okta-base-url", &base]).env("OKTA_API_TOKEN", "nope").output().unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401: the API token is invalid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_handle_sync_with_the_reply_it_sent() {
    use okta_airsync::connector::{OktaConnector, Settings};
    let w = crate::helpers::world(crate::helpers::small(4), std::time::Duration::from_secs(60)).await;
    let settings = Settings { base_url_override: Some(url::Url::parse(&w.sim.base_url).unwrap()), ..Settings::default() };
    let app = okta_airsync::serve::router(OktaConnector { settings }, crate::helpers::fast_runtime(std::time::Duration::from_secs(60)));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let (ev, _) = w.platform.event("START_EXTRACTING_METADATA", "INITIAL");
    let r: serde_json::Value =
        reqwest::Client::new().post(format!("http://{addr}/handle/sync")).json(&ev[0]).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["events"][0]["reply"], "METADATA_EXTRACTION_DONE", "{r}");
    // A full reading and its catch-up round fit in one invocation here.
    for (event, reply) in [("START_EXTRACTING_DATA", "DATA_EXTRACTION_DONE")] {
        let (ev, rid) = w.platform.event(event, "INITIAL");
        let resp = reqwest::Client::new().post(format!("http://{addr}/handle/async")).json(&ev).send().await.unwrap();
        assert_eq!(resp.status(), 200, "async answers at once");
        for _ in 0..100 {
            if w.emu.emu.store.lock().unwrap().replies.contains_key(&rid) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let st = w.emu.emu.store.lock().unwrap();
        assert_eq!(st.received.last().unwrap().event_type, reply);
    }
}

#[test]
fn an_event_over_the_size_limit_is_refused_by_name_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.json");
    std::fs::write(&f, " ".repeat(8 * 1024 * 1024) + "[]").unwrap();
    let out = bin().args(["run", "--event", f.to_str().unwrap()]).env("RUST_LOG", "off").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("over the 1048576-byte limit"), "{err}");
    let mut child = bin()
        .args(["run", "--event", "-"])
        .env("RUST_LOG", "off")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // The worker stops reading past the limit: a closed pipe here is fine.
        let _ = stdin.write_all(&vec![b' '; 8 * 1024 * 1024]);
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the 1048576-byte limit"));
}

#[test]
fn the_demo_extracts_only_the_entities_chosen_and_reports_the_rest_not_selected() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["demo", "--no-live", "--users", "40", "--groups", "6", "--apps", "3", "--devices", "5", "--log-events", "50"])
        .args(["--entities", "users,groups", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["violations"], serde_json::json!([]), "the emulator saw no excluded item type extracted");
    for (t, e) in report["runs"][0]["entities"].as_object().unwrap() {
        if t == "users" || t == "groups" {
            assert_eq!(e["records"], e["expected"], "{t}");
            assert!(e["records"].as_u64().unwrap() > 0, "{t}");
        } else {
            assert_eq!(e["mode"], "skipped", "{t}");
            assert_eq!(e["note"], "not selected", "{t}");
            assert_eq!(e["records"], 0, "{t}");
        }
    }
    let out = bin().args(["demo", "--entities", "users,passwords"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`passwords` is not an item type") && err.contains("group_members"), "{err}");
}
