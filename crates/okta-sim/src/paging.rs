//! Opaque cursors and page slicing for the simulator.

/// Encodes a sort key as an opaque cursor (so clients that build cursors break).
pub fn encode(key: &str) -> String {
    let mut s = String::from("sc");
    for b in key.bytes() {
        s.push_str(&format!("{:02x}", b ^ 0x3c));
    }
    s
}

/// Decodes a cursor; `None` when it was not made here (any text, non-ASCII included, is safe:
/// the hex digits are read as bytes, never by slicing the string).
pub fn decode(c: &str) -> Option<String> {
    let hex = c.strip_prefix("sc")?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes: Option<Vec<u8>> = hex.chunks_exact(2).map(|p| Some(((digit(p[0])? << 4) | digit(p[1])?) ^ 0x3c)).collect();
    String::from_utf8(bytes?).ok()
}

/// Takes up to `limit` items after `after` from a key-sorted iterator; returns the page and,
/// when more remain, the key of the last item.
pub fn slice<T>(items: impl Iterator<Item = (String, T)>, after: Option<&str>, limit: usize) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut last = None;
    let mut more = false;
    for (k, v) in items {
        if after.is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        last = Some(k);
        out.push(v);
    }
    (out, if more { last } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode(&encode("00uABC")).unwrap(), "00uABC");
        assert!(decode("00uABC").is_none());
        for garbage in ["sc", "scé1", "scéé", "sc0", "sczz", "sc\u{1F600}00", "ñ", "sc+0"] {
            let _ = decode(garbage);
        }
        assert!(decode("scé1").is_none() && decode("sczz").is_none() && decode("sc0").is_none());
        assert_eq!(decode("sc").as_deref(), Some(""));
        let items = (0..5).map(|i| (format!("k{i}"), i));
        let (p, next) = slice(items, Some("k1"), 2);
        assert_eq!(p, vec![2, 3]);
        assert_eq!(next.unwrap(), "k3");
    }
}
