//! Cursor pagination: an opaque `cursor` (base64url of the last item's key), a `limit`
//! (default 50, at most `FRONTLINE_LIST_LIMIT_MAX`, 200 by default), `next_cursor` in the body and a `Link: <…>; rel="next"` header.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::FieldIssue;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 50;

#[derive(Serialize, Deserialize)]
struct CursorBody {
    v: u8,
    after: String,
}

/// Encodes the key of the last item of a page as an opaque cursor.
pub fn encode_cursor(after: &str) -> String {
    let body = serde_json::to_vec(&CursorBody {
        v: 1,
        after: after.to_owned(),
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(body)
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is refused.
pub fn decode_cursor(cursor: &str) -> Result<String, FieldIssue> {
    let bad = || {
        FieldIssue::new(
            "cursor",
            "invalid_cursor",
            "分页游标无效，请使用上一页返回的 next_cursor",
            "invalid cursor: pass the next_cursor of the previous page",
        )
    };
    if cursor.len() > 512 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if body.v != 1 || body.after.is_empty() {
        return Err(bad());
    }
    Ok(body.after)
}

/// The `next_cursor` of a page: the key of its last item when more follow.
pub fn next_cursor<T>(items: &[T], more: bool, key: impl Fn(&T) -> &str) -> Option<String> {
    if more {
        items.last().map(|last| encode_cursor(key(last)))
    } else {
        None
    }
}

/// Parses `limit`: a whole number from 1 to `max`; [`DEFAULT_LIMIT`] (or `max`, if smaller)
/// when absent.
pub fn parse_limit(limit: Option<&str>, max: i64) -> Result<i64, FieldIssue> {
    let Some(raw) = limit else {
        return Ok(DEFAULT_LIMIT.min(max));
    };
    match raw.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(FieldIssue::new(
            "limit",
            "out_of_range",
            format!("须为 1 到 {max} 之间的整数"),
            format!("must be a whole number from 1 to {max}"),
        )),
    }
}

/// The `Link` header value pointing at the next page: `path?query` of the same request with
/// the new cursor.
pub fn next_link(path: &str, params: &[(&str, String)], cursor: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| *k != "cursor")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    pairs.push(("cursor", cursor));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{path}?{query}>; rel=\"next\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_url_safe() {
        let id = "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a";
        let c = encode_cursor(id);
        assert!(c
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        assert_eq!(decode_cursor(&c).unwrap(), id);
    }

    #[test]
    fn a_forged_or_damaged_cursor_is_refused() {
        assert_eq!(
            decode_cursor("not a cursor").unwrap_err().code,
            "invalid_cursor"
        );
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode(b"{\"v\":2,\"after\":\"x\"}")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode(b"{\"v\":1,\"after\":\"\"}")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode(b"[]")).is_err());
        assert!(decode_cursor(&"A".repeat(600)).is_err());
    }

    #[test]
    fn limit_edges() {
        assert_eq!(parse_limit(None, 200).unwrap(), 50);
        assert_eq!(parse_limit(Some("1"), 200).unwrap(), 1);
        assert_eq!(parse_limit(Some("200"), 200).unwrap(), 200);
        for bad in ["0", "201", "-1", "abc", "", "1.5"] {
            assert_eq!(
                parse_limit(Some(bad), 200).unwrap_err().field,
                "limit",
                "{bad}"
            );
        }
        // A configured maximum moves the edge, and a default larger than it is cut down.
        assert_eq!(parse_limit(Some("500"), 500).unwrap(), 500);
        assert_eq!(
            parse_limit(Some("21"), 20).unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(parse_limit(None, 20).unwrap(), 20);
    }

    #[test]
    fn the_next_link_keeps_the_filters_and_replaces_the_cursor() {
        let link = next_link(
            "/api/v1/units",
            &[
                ("category", "law_enforcement".into()),
                ("q", "区 局".into()),
                ("cursor", "old".into()),
            ],
            "NEW",
        );
        assert_eq!(link, "</api/v1/units?category=law_enforcement&q=%E5%8C%BA+%E5%B1%80&cursor=NEW>; rel=\"next\"");
    }
}
