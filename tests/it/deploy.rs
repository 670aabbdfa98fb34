//! The snap-in manifest: every function, import and keyring reference resolves.

use std::collections::BTreeSet;

use serde_yaml::Value;

#[test]
fn every_reference_in_the_manifest_resolves() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.yaml")).unwrap();
    let m: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(m["version"].as_str(), Some("2"));
    let names = |seq: &Value, key: &str| -> BTreeSet<String> {
        seq.as_sequence().unwrap().iter().map(|f| f[key].as_str().unwrap().to_string()).collect()
    };
    let functions = names(&m["functions"], "name");
    let keyrings = names(&m["keyring_types"], "id");
    let imports = m["imports"].as_sequence().unwrap();
    assert!(!imports.is_empty());
    for imp in imports {
        let slug = imp["slug"].as_str().unwrap();
        assert!(slug.starts_with("airdrop-") && slug.len() < 32, "{slug}");
        for key in ["extractor_function", "loader_function"] {
            if let Some(f) = imp[key].as_str() {
                assert!(functions.contains(f), "import {slug}: {key} {f} is not a declared function");
            }
        }
        for c in imp["allowed_connection_types"].as_sequence().unwrap() {
            assert!(keyrings.contains(c.as_str().unwrap()), "import {slug}: connection type {c:?} is not a keyring type");
        }
    }
    let scopes: BTreeSet<&str> =
        m["service_account"]["scopes"]["self"].as_sequence().unwrap().iter().map(|s| s["scope"].as_str().unwrap()).collect();
    for s in ["sync_mapper_record:write", "sync_mapper_record:read", "sync_unit:read", "sync_snap_in:all"] {
        assert!(scopes.contains(s), "scope {s} missing");
    }
    // Keyrings and imports as DevRev documents them (only documented placeholders, the
    // subdomain form, a password field), checked by the emulator's rules.
    let problems = devrev_emu::rules::manifest::check(&text);
    assert!(problems.is_empty(), "{problems:#?}");
    let inputs = &m["inputs"]["organization"];
    // Every organization input the connector reads is declared and optional; the numeric ones
    // are `int` inputs (with an int default where they have one), the date a text.
    for (name, ty) in
        [("system_log_start_date", "text"), ("full_reconciliation_days", "int"), (okta_airsync::connector::inputs::ORG_RATE_LIMIT, "int")]
    {
        let input = inputs.as_sequence().unwrap().iter().find(|i| i["name"].as_str() == Some(name));
        let input = input.unwrap_or_else(|| panic!("input {name} is not in manifest.yaml"));
        assert_eq!((input["field_type"].as_str(), input["is_required"].as_bool()), (Some(ty), Some(false)), "{name}");
    }
    let days = inputs.as_sequence().unwrap().iter().find(|i| i["name"].as_str() == Some("full_reconciliation_days")).unwrap();
    assert_eq!(days["default_value"].as_u64(), Some(7), "full_reconciliation_days defaults to the number 7");
    // Time-scoped syncs are a declared capability of the import (fern-api-docs
    // `airsync/data-extraction.mdx`), else the platform never sends `extract_from`.
    for imp in imports {
        let caps: Vec<&str> = imp["capabilities"].as_sequence().into_iter().flatten().filter_map(Value::as_str).collect();
        assert_eq!(caps, ["TIME_SCOPED_SYNCS"], "import {}", imp["slug"].as_str().unwrap_or("?"));
    }
    let no_caps = text.replace("      - TIME_SCOPED_SYNCS", "      - TIME_TRAVEL");
    assert!(devrev_emu::rules::manifest::check(&no_caps).iter().any(|p| p.contains("TIME_TRAVEL")), "the emulator knows the capabilities");
    let text_input = text.replacen("field_type: int", "field_type: number", 1);
    assert!(devrev_emu::rules::manifest::check(&text_input).iter().any(|p| p.contains("number")), "the emulator knows the input types");
    // The shim's factory must export each function (the node test checks the keys themselves).
    let shim = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/snap-in/src/index.js")).unwrap();
    for f in &functions {
        assert!(shim.contains(&format!("const functionFactory = {{ {f} }}")), "the shim does not export {f}");
    }
}
