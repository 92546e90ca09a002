//! Extractors that refuse bad input with the right problem: [`JsonBody`] for request bodies
//! (415, 413, 400 for malformed JSON, 422 with the field's path for a wrong shape or a failed
//! validation) and the query-string error handler (400 naming the parameter).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::QueryPayloadError;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::config::{Config, Limits};
use crate::error::{AppError, FieldIssue};

/// A JSON request body, deserialized and validated. Extraction never fails by itself: the
/// handler takes the body with [`JsonBody::into_inner`] after its authorization check, so that a
/// caller without the right gets 401/403 whatever the body, not a hint about its fields.
pub struct JsonBody<T>(Result<T, AppError>);

impl<T> JsonBody<T> {
    /// The body, or the 400/413/415/422 it earned.
    pub fn into_inner(self) -> Result<T, AppError> {
        self.0
    }
}

impl<T> FromRequest for JsonBody<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = matches!(req.mime_type(), Ok(Some(m)) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(crate::config::DEFAULT_BODY_LIMIT);
        let depth = json_depth(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let parsed = async {
                if !is_json {
                    return Err(AppError::UnsupportedMediaType);
                }
                let bytes = bytes.await.map_err(|e| {
                    if e.as_response_error().status_code()
                        == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                    {
                        AppError::PayloadTooLarge { limit }
                    } else {
                        AppError::BadRequest(e.to_string())
                    }
                })?;
                let value: T = parse_json(&bytes, depth)?;
                value
                    .validate()
                    .map_err(|e| AppError::Validation(validation_issues(&e)))?;
                Ok(value)
            }
            .await;
            Ok(JsonBody(parsed))
        })
    }
}

/// The configured body limit (app data set by [`crate::startup`] beside `web::PayloadConfig`),
/// named in the 413 answer.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// The configured request size limits (the defaults in an app without a [`Config`]).
pub fn limits(req: &HttpRequest) -> Limits {
    req.app_data::<web::Data<Config>>()
        .map_or_else(Limits::default, |c| c.limits)
}

/// `FRONTLINE_IMPORT_BODY_LIMIT`: the largest file an import endpoint reads.
pub fn import_body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<Config>>()
        .map_or(crate::config::DEFAULT_IMPORT_BODY_LIMIT, |c| {
            c.import_body_limit
        })
}

/// The deepest nesting a JSON body of `req` may have (`FRONTLINE_JSON_MAX_DEPTH`).
pub fn json_depth(req: &HttpRequest) -> usize {
    limits(req).json_depth
}

/// Counts the nesting of arrays and objects in JSON text fed to it in pieces (brackets inside
/// strings do not count): a linear scan, so that a deep body costs no recursion.
#[derive(Clone, Copy, Debug)]
pub struct DepthScan {
    max: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    exceeded: bool,
}

impl DepthScan {
    /// A scan that refuses nesting deeper than `max`.
    pub fn new(max: usize) -> Self {
        DepthScan {
            max,
            depth: 0,
            in_string: false,
            escaped: false,
            exceeded: false,
        }
    }

    /// Reads the next piece; true once the nesting has gone deeper than the maximum.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.exceeded {
                break;
            }
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    self.exceeded = self.depth > self.max;
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        self.exceeded
    }
}

/// Whether arrays and objects in `bytes` nest deeper than `max`.
pub fn too_deep(bytes: &[u8], max: usize) -> bool {
    DepthScan::new(max).feed(bytes)
}

/// The refusal of a body nested deeper than `max_depth`.
pub fn too_deep_problem(max_depth: usize) -> AppError {
    AppError::Validation(vec![FieldIssue::new(
        "body",
        "max_depth",
        format!("数组与对象至多嵌套 {max_depth} 层"),
        format!("arrays and objects nest at most {max_depth} levels deep"),
    )])
}

/// Parses JSON: a syntax error is 400; nesting deeper than `max_depth` is 422 (`body`,
/// `max_depth`); a well-formed body of the wrong shape is 422 naming the path of the field
/// at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], max_depth: usize) -> Result<T, AppError> {
    if too_deep(bytes, max_depth) {
        return Err(too_deep_problem(max_depth));
    }
    if has_nul_escape(bytes) {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "body",
            "control_character",
            "文本中不得含有 NUL 字符（\\u0000）",
            "text must not contain the NUL character (\\u0000)",
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return AppError::MalformedJson(inner.to_string());
        }
        let path = e.path().to_string();
        let message = inner.to_string();
        // serde names the field in the message for unknown and missing fields.
        // The path already ends with an unknown field; a missing one is named in the message.
        let (field, code) = if let Some(name) = backticked(&message, "unknown field `") {
            let code = if READ_ONLY.contains(&name.as_str()) {
                "read_only"
            } else {
                "unknown_field"
            };
            (if path == "." { name } else { path }, code)
        } else if let Some(name) = backticked(&message, "missing field `") {
            (join_path(&path, &name), "required")
        } else {
            (
                if path == "." { "body".to_owned() } else { path },
                "invalid_type",
            )
        };
        // serde's text quotes the value it refused, which may be personal data (a phone
        // number sent as a number): keep only what was expected.
        let expected = strip_position(&message)
            .split("expected ")
            .nth(1)
            .map(str::to_owned);
        let (zh, en) = match (code, expected) {
            ("unknown_field" | "read_only" | "required", _) => (
                format!("字段无效：{}", strip_position(&message)),
                format!("invalid field: {}", strip_position(&message)),
            ),
            (_, Some(e)) => (
                format!("类型或取值无效，应为 {e}"),
                format!("wrong type or value: expected {e}"),
            ),
            (_, None) => (
                "类型或取值无效".to_owned(),
                "wrong type or value".to_owned(),
            ),
        };
        AppError::Validation(vec![FieldIssue::new(field, code, zh, en)])
    })?;
    de.end()
        .map_err(|e| AppError::MalformedJson(e.to_string()))?;
    Ok(value)
}

/// Fields the server sets: a body that names one is refused as `read_only`, never silently
/// ignored.
const READ_ONLY: [&str; 9] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "status",
    "password_hash",
    "must_change_password",
    "locked_until",
    "password_changed_at",
];

/// Whether a JSON text holds the escape of NUL (`\\u0000`), which no text field may carry
/// (PostgreSQL cannot store it). A raw NUL byte is already a JSON syntax error.
fn has_nul_escape(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        (w[1] == b'u' || w[1] == b'U')
            && w[0] == b'\\'
            && &w[2..] == b"0000"
            // An escaped backslash before it ("\\\\u0000") is the text "\\u0000", not NUL.
            && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_owned())
}

fn join_path(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// What a JSON value of the wrong shape should have been, without the value itself (serde's
/// text quotes the value it refused, which may be personal data: a phone number sent as a
/// number). Chinese and English.
pub fn shape_message(e: &serde_json::Error) -> (String, String) {
    let message = e.to_string();
    let message = strip_position(&message);
    if message.starts_with("unknown field") || message.starts_with("missing field") {
        return (
            format!("字段无效：{message}"),
            format!("invalid field: {message}"),
        );
    }
    match message.split("expected ").nth(1) {
        Some(expected) => (
            format!("类型或取值无效，应为 {expected}"),
            format!("wrong type or value: expected {expected}"),
        ),
        None => (
            "类型或取值无效".to_owned(),
            "wrong type or value".to_owned(),
        ),
    }
}

fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Turns validator's errors into field issues with both languages' messages.
pub fn validation_issues(errors: &ValidationErrors) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldIssue>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(field_issue(&path, e));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn field_issue(path: &str, e: &validator::ValidationError) -> FieldIssue {
    let param = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => {
            let (min, max) = (param("min"), param("max"));
            let (zh, en) = match (min, max) {
                (Some(a), Some(b)) => (
                    format!("长度须在 {a} 到 {b} 之间"),
                    format!("length must be from {a} to {b}"),
                ),
                (Some(a), None) => (
                    format!("长度不得少于 {a}"),
                    format!("length must be at least {a}"),
                ),
                (None, Some(b)) => (
                    format!("长度不得超过 {b}"),
                    format!("length must be at most {b}"),
                ),
                (None, None) => ("长度无效".into(), "invalid length".into()),
            };
            FieldIssue::new(path, "length", zh, en)
        }
        "range" => FieldIssue::new(
            path,
            "out_of_range",
            "超出允许范围",
            "out of the allowed range",
        ),
        other => {
            let en = e
                .message
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_else(|| other.to_owned());
            FieldIssue::new(path, "invalid", format!("无效：{en}"), en)
        }
    }
}

/// The query-string error handler: names the parameter at fault.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    let issue = if let Some(name) = backticked(&message, "unknown field `") {
        FieldIssue::new(
            name,
            "unknown_parameter",
            "不支持的查询参数",
            "unknown query parameter",
        )
    } else if let Some(name) = backticked(&message, "duplicate field `") {
        FieldIssue::new(
            name,
            "duplicate_parameter",
            "查询参数重复",
            "the query parameter is given twice",
        )
    } else {
        FieldIssue::new(
            "query",
            "invalid",
            "查询字符串无效",
            "the query string is invalid",
        )
    };
    AppError::InvalidParameters(vec![issue]).into()
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        names: Vec<String>,
    }

    /// [`super::parse_json`] at the default depth.
    fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
        super::parse_json(bytes, 32)
    }

    #[test]
    fn nesting_is_counted_outside_strings_and_refused_past_the_limit() {
        assert!(!too_deep(b"[[[]]]", 3));
        assert!(too_deep(b"[[[[]]]]", 3));
        assert!(!too_deep(br#"{"a": "[[[[[[", "b": {"c": [1]}}"#, 3));
        assert!(!too_deep(br#"["\"[[[[", {"x": "\\"}, [[]]]"#, 3));
        assert!(too_deep(br#"["\\", [[[0]]]]"#, 3));
        let deep = format!("{}{}", "[".repeat(33), "]".repeat(33));
        match super::parse_json::<serde_json::Value>(deep.as_bytes(), 32) {
            Err(AppError::Validation(v)) => {
                assert_eq!((v[0].field.as_str(), v[0].code), ("body", "max_depth"))
            }
            other => panic!("expected max_depth, got {other:?}"),
        }
        // Fed in pieces, split inside a string and an escape, the count is the same.
        let mut scan = DepthScan::new(3);
        assert!(!scan.feed(br#"["a\"#));
        assert!(!scan.feed(br#""[[[", [["#));
        assert!(scan.feed(b"[["));
        let ok = format!("{}{}", "[".repeat(32), "]".repeat(32));
        assert!(super::parse_json::<serde_json::Value>(ok.as_bytes(), 32).is_ok());
    }

    #[test]
    fn a_nul_escape_is_refused_but_an_escaped_backslash_is_not() {
        assert!(has_nul_escape(br#"{"names": ["a\u0000"]}"#));
        assert!(!has_nul_escape(br#"{"names": ["a\\u0000"]}"#));
        assert!(matches!(
            parse_json::<Body>(br#"{"names": ["x\u0000"]}"#),
            Err(AppError::Validation(_))
        ));
    }

    #[test]
    fn broken_json_is_400_and_a_wrong_shape_is_422_with_its_path() {
        assert!(matches!(
            parse_json::<Body>(b"{\"names\": ["),
            Err(AppError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b""),
            Err(AppError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"{\"names\": []} x"),
            Err(AppError::MalformedJson(_))
        ));
        let field = |r: Result<Body, AppError>| match r {
            Err(AppError::Validation(v)) => (v[0].field.clone(), v[0].code),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(
            field(parse_json(b"{\"names\": [\"a\", 5]}")),
            ("names[1]".into(), "invalid_type")
        );
        assert_eq!(field(parse_json(b"{}")), ("names".into(), "required"));
        assert_eq!(
            field(parse_json(b"{\"names\": [], \"x\": 1}")),
            ("x".into(), "unknown_field")
        );
        assert_eq!(
            field(parse_json(b"\"text\"")),
            ("body".into(), "invalid_type")
        );
    }
}
