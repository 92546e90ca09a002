//! WeChat mini-program sign-in: what WeChat's `jscode2session` answer means for us. The answer
//! is read into a type without `session_key`, so that key is never held, stored or returned.

use serde::Deserialize;

/// Why a `jscode2session` call gave no openid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The code is invalid or already used (40029, 40163): the client must call `wx.login`
    /// again. Answered 401.
    CodeRefused,
    /// WeChat limits this appid's calls (45011). Answered 429.
    RateLimited,
    /// WeChat is busy (-1), answered 5xx, or did not answer in time. Answered 503.
    Unavailable,
    /// Any other error code, or an answer that cannot be read. Answered 502 with the code.
    Upstream(Option<i64>),
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    errcode: Option<i64>,
    #[serde(default)]
    openid: Option<String>,
}

/// The openid of a `jscode2session` answer (`status`, `body`), or why there is none.
pub fn classify(status: u16, body: &[u8]) -> Result<String, Fault> {
    if status >= 500 {
        return Err(Fault::Unavailable);
    }
    let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
        return Err(Fault::Upstream(None));
    };
    match answer.errcode.unwrap_or(0) {
        0 => {}
        40029 | 40163 => return Err(Fault::CodeRefused),
        45011 => return Err(Fault::RateLimited),
        -1 => return Err(Fault::Unavailable),
        other => return Err(Fault::Upstream(Some(other))),
    }
    if status != 200 {
        return Err(Fault::Upstream(None));
    }
    match answer.openid {
        Some(id) if valid_openid(&id) => Ok(id),
        _ => Err(Fault::Upstream(None)),
    }
}

/// An openid as WeChat makes them: 1–64 letters, digits, `-` and `_`.
pub fn valid_openid(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `wx.login` code as the client sends it: 1–128 printable ASCII characters without spaces.
pub fn valid_code(code: &str) -> bool {
    (1..=128).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic())
}

/// A short, stable, non-reversible reference to an openid for the audit log.
pub fn openid_ref(openid: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(openid.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_with_an_openid_signs_in_and_its_session_key_is_dropped() {
        let body = br#"{"openid":"oAbC-123_x","session_key":"c2Vzc2lvbmtleQ==","unionid":"u1"}"#;
        assert_eq!(classify(200, body), Ok("oAbC-123_x".to_owned()));
        assert_eq!(
            classify(200, br#"{"openid":"o1","errcode":0,"errmsg":"ok"}"#),
            Ok("o1".into())
        );
    }

    #[test]
    fn wechat_errors_map_to_our_answers() {
        let err = |code: i64| {
            classify(
                200,
                format!(r#"{{"errcode":{code},"errmsg":"x"}}"#).as_bytes(),
            )
        };
        assert_eq!(err(40029), Err(Fault::CodeRefused));
        assert_eq!(err(40163), Err(Fault::CodeRefused));
        assert_eq!(err(45011), Err(Fault::RateLimited));
        assert_eq!(err(-1), Err(Fault::Unavailable));
        assert_eq!(err(40226), Err(Fault::Upstream(Some(40226))));
        assert_eq!(err(40013), Err(Fault::Upstream(Some(40013))));
        assert_eq!(
            classify(502, b"<html>bad gateway</html>"),
            Err(Fault::Unavailable)
        );
        assert_eq!(classify(200, b"not json"), Err(Fault::Upstream(None)));
        assert_eq!(
            classify(200, br#"{"session_key":"k"}"#),
            Err(Fault::Upstream(None))
        );
        assert_eq!(
            classify(200, br#"{"openid":"has space"}"#),
            Err(Fault::Upstream(None))
        );
        assert_eq!(
            classify(404, br#"{"openid":"o1"}"#),
            Err(Fault::Upstream(None))
        );
    }

    #[test]
    fn codes_and_openids_are_checked() {
        assert!(valid_code("081kQ3ll2X1bVd4Hm4ml2Y5o5i2kQ3lQ"));
        assert!(!valid_code(""));
        assert!(!valid_code("has space"));
        assert!(!valid_code(&"a".repeat(129)));
        assert!(valid_openid(&"o".repeat(64)));
        assert!(!valid_openid(&"o".repeat(65)));
        assert_eq!(openid_ref("oAbC").len(), 12);
        assert_ne!(openid_ref("oAbC"), openid_ref("oAbD"));
    }
}
