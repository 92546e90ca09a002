//! Response hardening and CORS, applied by the outermost middleware to every response:
//! `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options`, a `Content-Security-Policy`
//! (a strict one for the API, one that lets the docs UI run its own files), `Cache-Control:
//! no-store` on anything answered to credentials, and CORS for the origins of
//! `FRONTLINE_CORS_ORIGINS` only (none by default).

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;

/// The API's policy: its answers are data, never a page that loads anything.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/// The docs UI's policy: its own scripts, styles and the spec, nothing from elsewhere (Swagger
/// UI sets inline styles and draws icons from `data:` URLs).
pub const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' \
'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The request headers a page of an allowed origin may send.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept, Accept-Language, If-Match, \
If-None-Match, Idempotency-Key, X-Request-Id, X-Api-Key";
/// The response headers such a page may read.
const EXPOSE_HEADERS: &str = "ETag, Location, Link, Retry-After, Content-Disposition, \
Content-Language, X-Request-Id, X-Issue-Count, Idempotent-Replayed, WWW-Authenticate";
/// How long a browser may keep a preflight's answer (seconds).
const PREFLIGHT_MAX_AGE: &str = "600";

/// The request's `Origin` when it is on the allow-list (compared exactly, ignoring case).
pub fn allowed_origin(headers: &HeaderMap, allow_list: &[String]) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    allow_list
        .iter()
        .any(|o| o.eq_ignore_ascii_case(text))
        .then(|| origin.clone())
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from an allowed origin for a path that answers `methods`.
pub fn preflight(origin: HeaderValue, methods: &[String]) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::NO_CONTENT);
    res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods.join(", ")))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
        .insert_header((header::VARY, "Origin"));
    res.finish()
}

/// Whether the request carries credentials (a bearer token or an API key).
pub fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key")
}

/// Adds the hardening headers to a response to `path`.
pub fn harden(
    headers: &mut HeaderMap,
    path: &str,
    credentials: bool,
    cors_origin: Option<HeaderValue>,
) {
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    let docs = path == "/docs" || path.starts_with("/docs/");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        if docs { DOCS_CSP } else { API_CSP },
    );
    if credentials {
        // Whatever a handler said: nothing answered to credentials is kept by a cache.
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    headers.remove(header::SERVER);
    if let Some(origin) = cors_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_an_origin_on_the_list_is_allowed_exactly() {
        let list = vec!["https://portal.beilin.gov.cn".to_owned()];
        let h = with(&[(header::ORIGIN, "https://PORTAL.beilin.gov.cn")]);
        assert!(allowed_origin(&h, &list).is_some());
        for other in [
            "https://portal.beilin.gov.cn.evil.cn",
            "http://portal.beilin.gov.cn",
            "https://beilin.gov.cn",
            "null",
        ] {
            let h = with(&[(header::ORIGIN, other)]);
            assert!(allowed_origin(&h, &list).is_none(), "{other}");
        }
        assert!(allowed_origin(&HeaderMap::new(), &list).is_none());
        let h = with(&[(header::ORIGIN, "https://portal.beilin.gov.cn")]);
        assert!(allowed_origin(&h, &[]).is_none());
    }

    #[test]
    fn hardening_sets_the_policy_by_path_and_no_store_for_credentials() {
        let mut h = with(&[
            (header::CACHE_CONTROL, "max-age=60"),
            (header::SERVER, "x/1"),
        ]);
        harden(&mut h, "/api/v1/units", true, None);
        assert_eq!(h.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert_eq!(h.get(header::CONTENT_SECURITY_POLICY).unwrap(), API_CSP);
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert!(h.get(header::SERVER).is_none());
        assert!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

        let mut h = with(&[(header::CACHE_CONTROL, "max-age=60")]);
        harden(
            &mut h,
            "/docs/index.html",
            false,
            Some(HeaderValue::from_static("https://a.cn")),
        );
        assert_eq!(h.get(header::CACHE_CONTROL).unwrap(), "max-age=60");
        assert_eq!(h.get(header::CONTENT_SECURITY_POLICY).unwrap(), DOCS_CSP);
        assert_eq!(
            h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
            "https://a.cn"
        );
        assert_eq!(h.get(header::VARY).unwrap(), "Origin");
    }

    #[test]
    fn a_preflight_needs_options_an_origin_and_a_requested_method() {
        let h = with(&[
            (header::ORIGIN, "https://a.cn"),
            (header::ACCESS_CONTROL_REQUEST_METHOD, "POST"),
        ]);
        assert!(is_preflight(&Method::OPTIONS, &h));
        assert!(!is_preflight(&Method::GET, &h));
        let h = with(&[(header::ORIGIN, "https://a.cn")]);
        assert!(!is_preflight(&Method::OPTIONS, &h));
        let res = preflight(
            HeaderValue::from_static("https://a.cn"),
            &["GET".into(), "POST".into()],
        );
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            res.headers()
                .get(header::ACCESS_CONTROL_ALLOW_METHODS)
                .unwrap(),
            "GET, POST"
        );
    }
}
