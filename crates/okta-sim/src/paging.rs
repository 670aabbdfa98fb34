//! Opaque cursors and page slicing for the simulator.

/// Encodes a sort key as an opaque cursor (so clients that build cursors break).
pub fn encode(key: &str) -> String {
    let mut s = String::from("sc");
    for b in key.bytes() {
        s.push_str(&format!("{:02x}", b ^ 0x3c));
    }
    s
}

/// Decodes a cursor; `None` when it was not made here.
pub fn decode(c: &str) -> Option<String> {
    let hex = c.strip_prefix("sc")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(|b| b ^ 0x3c)).collect();
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
        let items = (0..5).map(|i| (format!("k{i}"), i));
        let (p, next) = slice(items, Some("k1"), 2);
        assert_eq!(p, vec![2, 3]);
        assert_eq!(next.unwrap(), "k3");
    }
}
