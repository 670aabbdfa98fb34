//! DevRev's size guidance for the worker state: "smaller than 1 MB, which maps to approximately
//! 500,000 characters" (devrev/airdrop-shared, `docs/data-extraction.md`). A state over it is
//! not saved; the error names its size and what in it is largest, so that whoever reads it knows
//! which part grew.

use serde_json::Value;

/// The most characters (UTF-16 code units, as JavaScript counts a string's length) of serialized
/// state this worker saves.
pub const MAX_STATE_CHARS: usize = 500_000;

/// How many of the largest keys an oversized-state error names.
const NAMED_KEYS: usize = 5;

/// The length of `text` as DevRev's JavaScript counts it.
pub fn chars(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The largest keys of a serialized state, two levels deep (`okta`, `okta.known`), largest
/// first, as `key (N characters)`; empty when the text is not a JSON object.
pub fn largest_keys(text: &str) -> String {
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(text) else { return String::new() };
    let mut sizes: Vec<(String, usize)> = Vec::new();
    for (k, v) in &top {
        sizes.push((k.clone(), chars(&v.to_string())));
        for (k2, v2) in v.as_object().into_iter().flatten() {
            sizes.push((format!("{k}.{k2}"), chars(&v2.to_string())));
        }
    }
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sizes.iter().take(NAMED_KEYS).map(|(k, n)| format!("{k} ({n} characters)")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_keys_come_first_two_levels_deep() {
        let text = serde_json::json!({"small": 1, "okta": {"known": "x".repeat(100), "run": "y"}}).to_string();
        let named = largest_keys(&text);
        assert!(named.starts_with("okta ("), "{named}");
        assert!(named.contains("okta.known (102 characters)"), "{named}");
        assert_eq!(largest_keys("[1]"), "");
        assert_eq!(chars("é😀"), 3, "counted as JavaScript counts: UTF-16 units");
    }
}
