//! Request context and logging: the `X-Request-Id` of each request (taken from the client or
//! generated), carried into every log line of that request, including lines logged on the
//! blocking pool; the access log; and the last word on errors: every status ≥ 400 leaves as
//! `application/problem+json` in the request's language, whatever raised it.

use std::cell::RefCell;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_util::FutureExt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};

use crate::error::{AppError, PROBLEM_JSON};
use crate::i18n::Lang;

/// The request-id header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static TASK_REQUEST_ID: String;
}

thread_local! {
    static THREAD_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The id of the request being served, stored in the request's extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The request id of the current task or blocking job, if any.
pub fn current_request_id() -> Option<String> {
    TASK_REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| THREAD_REQUEST_ID.with(|c| c.borrow().clone()))
}

/// Runs `f` with `request_id` as the current request id of this thread (for blocking jobs).
pub fn with_request_id<T>(request_id: Option<String>, f: impl FnOnce() -> T) -> T {
    let previous = THREAD_REQUEST_ID.with(|c| c.replace(request_id));
    let out = f();
    THREAD_REQUEST_ID.with(|c| *c.borrow_mut() = previous);
    out
}

/// Starts logging with `filter` (env_logger syntax). Each line carries the request id.
pub fn init_logging(filter: &str) {
    let _ = env_logger::Builder::new()
        .parse_filters(filter)
        .format(|buf, record| {
            let rid = current_request_id().unwrap_or_else(|| "-".into());
            writeln!(
                buf,
                "{} {:<5} {} [req={}] {}",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                record.level(),
                record.target(),
                rid,
                record.args()
            )
        })
        .try_init();
}

/// Whether a raw path or query holds `%00`.
fn has_encoded_nul(raw: &str) -> bool {
    raw.as_bytes().windows(3).any(|w| w == b"%00")
}

/// A client-supplied request id is kept when it is 1–128 characters of `[A-Za-z0-9._:-]`.
fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| s.to_owned())
}

/// The outermost middleware: request id, language, access log, and problem rendering.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // Keep copies, not a clone of the request: routing needs the request to be unshared.
    let method = req.method().clone();
    let path = req.path().to_owned();
    let started = Instant::now();

    let lang = Lang::of(req.request());
    let config = req
        .app_data::<actix_web::web::Data<crate::config::Config>>()
        .cloned();
    let credentials = crate::security::has_credentials(req.headers());
    let cors_origin = config
        .as_ref()
        .and_then(|c| crate::security::allowed_origin(req.headers(), &c.cors_origins));
    if let Some(origin) = cors_origin.clone() {
        if crate::security::is_preflight(req.method(), req.headers()) {
            let methods = req
                .app_data::<actix_web::web::Data<RouteTable>>()
                .map(|routes| routes.allowed(&path))
                .unwrap_or_default();
            // A preflight for a path no route has goes on to the 404 of the fallback.
            if !methods.is_empty() {
                let res = crate::security::preflight(origin, &methods);
                return Ok(answer_early(req, res, &request_id, false, None));
            }
        }
    }
    // A route without parameters is not also a value of a parameter: PATCH /units/lookup is
    // 405, not PATCH /units/{id} with the id "lookup".
    let misrouted = req
        .app_data::<actix_web::web::Data<RouteTable>>()
        .and_then(|routes| routes.literal(&path))
        .filter(|methods| {
            let m = req.method().as_str();
            let answered = |x: &str| methods.iter().any(|y| y == x);
            !(answered(m) || (m == "HEAD" && answered("GET")))
        })
        .map(<[String]>::to_vec);
    if let Some(allow) = misrouted {
        let res = AppError::MethodNotAllowed { allow }.render(lang, Some(&path), Some(&request_id));
        return Ok(answer_early(
            req,
            res,
            &request_id,
            credentials,
            cors_origin,
        ));
    }
    if has_encoded_nul(req.uri().path()) || req.uri().query().is_some_and(has_encoded_nul) {
        // No text may hold NUL (PostgreSQL cannot store it): refuse it at the door.
        let err = AppError::invalid_parameter(
            "query",
            "control_character",
            "请求中不得含有 NUL 字符（%00）",
            "the request must not contain the NUL character (%00)",
        );
        let res = err.render(lang, Some(&path), Some(&request_id));
        return Ok(answer_early(
            req,
            res,
            &request_id,
            credentials,
            cors_origin,
        ));
    }
    let metrics = req
        .app_data::<actix_web::web::Data<crate::metrics::Metrics>>()
        .cloned();
    let timeout = config
        .as_ref()
        .map_or(std::time::Duration::from_secs(30), |c| c.request_timeout);
    let call = TASK_REQUEST_ID.scope(request_id.clone(), next.call(req));
    let call = actix_web::rt::time::timeout(timeout, AssertUnwindSafe(call).catch_unwind());
    let result = match call.await {
        // Past the request time-out the request is dropped (a database job already on the
        // blocking pool finishes, and commits or rolls back as a whole) and 503 answered.
        Err(_elapsed) => {
            TASK_REQUEST_ID.sync_scope(request_id.clone(), || {
                log::warn!("{method} {path}: no answer within {timeout:?}")
            });
            if let Some(m) = &metrics {
                m.observe_request(method.as_str(), "unknown", 503, started.elapsed());
            }
            return Err(Unanswered::new(
                AppError::Unavailable("request time-out".into()),
                lang,
                &path,
                &request_id,
            )
            .into());
        }
        Ok(Ok(result)) => result,
        // A panic below is a fault of the service: answer 500 like any other, never drop the
        // connection. The panic message was printed by the panic hook.
        Ok(Err(_)) => {
            TASK_REQUEST_ID.sync_scope(request_id.clone(), || {
                log::error!("{method} {path}: handler panicked")
            });
            if let Some(m) = &metrics {
                m.observe_request(method.as_str(), "unknown", 500, started.elapsed());
            }
            return Err(
                Unanswered::new(AppError::internal("panic"), lang, &path, &request_id).into(),
            );
        }
    };
    let res = match result {
        Ok(res) => res.map_into_boxed_body(),
        // Only a failing middleware errs here (handlers' errors are responses); the request is
        // gone, so answer with a problem that carries what we know of it.
        Err(err) => {
            let status = err.as_response_error().status_code();
            if let Some(m) = &metrics {
                m.observe_request(
                    method.as_str(),
                    "unknown",
                    status.as_u16(),
                    started.elapsed(),
                );
            }
            return Err(Unanswered::new(
                AppError::from_status(status, None),
                lang,
                &path,
                &request_id,
            )
            .into());
        }
    };
    let mut res = TASK_REQUEST_ID.sync_scope(request_id.clone(), || as_problem(res, &request_id));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    crate::security::harden(res.headers_mut(), &path, credentials, cors_origin);
    if let Some(m) = res
        .request()
        .app_data::<actix_web::web::Data<crate::metrics::Metrics>>()
    {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        m.observe_request(
            method.as_str(),
            &route,
            res.status().as_u16(),
            started.elapsed(),
        );
    }
    TASK_REQUEST_ID.sync_scope(request_id, || {
        log::info!(
            target: "frontline::access",
            "{} {} {} {}ms",
            method,
            path,
            res.status().as_u16(),
            started.elapsed().as_millis()
        );
    });
    Ok(res)
}

/// A response given before routing (a preflight, a refusal at the door): hardened like every
/// other and carrying the request id.
fn answer_early(
    req: ServiceRequest,
    mut res: HttpResponse,
    request_id: &str,
    credentials: bool,
    cors_origin: Option<HeaderValue>,
) -> ServiceResponse<BoxBody> {
    crate::security::harden(res.headers_mut(), req.path(), credentials, cors_origin);
    if let Ok(v) = HeaderValue::from_str(request_id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    let (http_req, _) = req.into_parts();
    ServiceResponse::new(http_req, res)
}

/// An error answered without a request at hand (after a panic): rendered as a problem in the
/// request's language, with its path and id.
#[derive(Debug)]
struct Unanswered {
    response: std::sync::Mutex<Option<HttpResponse>>,
    status: actix_web::http::StatusCode,
}

impl Unanswered {
    fn new(err: AppError, lang: Lang, path: &str, request_id: &str) -> Self {
        let mut response = err.render(lang, Some(path), Some(request_id));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert(X_REQUEST_ID.clone(), v);
        }
        // Its caller does not know whether credentials came with it: assume they did.
        crate::security::harden(response.headers_mut(), path, true, None);
        Unanswered {
            status: response.status(),
            response: std::sync::Mutex::new(Some(response)),
        }
    }
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)
    }
}

impl actix_web::ResponseError for Unanswered {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.response
            .lock()
            .ok()
            .and_then(|mut r| r.take())
            .unwrap_or_else(|| AppError::internal("answered twice").render(Lang::Zh, None, None))
    }
}

/// Renders any error response as problem+json in the request's language.
fn as_problem(res: ServiceResponse<BoxBody>, request_id: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if status.as_u16() < 400 {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let lang = Lang::of(res.request());
    let path = res.request().path().to_owned();
    let rendered = match res.response().error() {
        Some(err) => match err.as_error::<AppError>() {
            Some(app) => {
                log_cause(app);
                app.render(lang, Some(&path), Some(request_id))
            }
            None => {
                let app = AppError::from_status(status, res.headers().get(header::ALLOW));
                if status.is_server_error() {
                    log::error!("{} {path} failed: {err}", res.request().method());
                }
                app.render(lang, Some(&path), Some(request_id))
            }
        },
        None if is_problem => return res,
        None => AppError::from_status(status, res.headers().get(header::ALLOW)).render(
            lang,
            Some(&path),
            Some(request_id),
        ),
    };
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, rendered)
}

fn log_cause(err: &AppError) {
    match err {
        AppError::Internal(cause) => log::error!("internal error: {cause}"),
        AppError::Unavailable(cause) => log::warn!("unavailable: {cause}"),
        _ => {}
    }
}

/// The methods each routed path answers, built from the OpenAPI spec, so that a known path
/// with the wrong method answers 405 with `Allow` and an unknown path 404.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<String>)>,
}

impl RouteTable {
    /// From the spec's paths, plus routes outside the spec (`extra`).
    pub fn new(spec: &utoipa::openapi::OpenApi, extra: &[(&str, &[&str])]) -> Self {
        let mut routes: Vec<(ResourceDef, Vec<String>)> = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .iter()
                .filter(|(_, has)| *has)
                .map(|(m, _)| (*m).to_owned())
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        routes.extend(extra.iter().map(|(p, ms)| {
            (
                ResourceDef::new(*p),
                ms.iter().map(|m| (*m).to_owned()).collect(),
            )
        }));
        RouteTable { routes }
    }

    /// The methods `path` answers; empty when no route has it. A path that is a route of
    /// its own (`/units/lookup`) answers its methods only, not those of a template it also
    /// fits (`/units/{id}`).
    pub fn allowed(&self, path: &str) -> Vec<String> {
        if let Some(methods) = self.literal(path) {
            return methods.to_vec();
        }
        let mut allow: Vec<String> = Vec::new();
        for (def, methods) in &self.routes {
            if def.is_match(path) {
                for m in methods {
                    if !allow.contains(m) {
                        allow.push(m.clone());
                    }
                }
            }
        }
        allow
    }
}

impl RouteTable {
    /// The methods of `path` when it is a route without parameters.
    pub fn literal(&self, path: &str) -> Option<&[String]> {
        self.routes
            .iter()
            .find(|(def, _)| {
                def.pattern()
                    .is_some_and(|p| p == path && !p.contains('{') && !def.is_prefix())
            })
            .map(|(_, methods)| methods.as_slice())
    }
}

/// The app's default service: 405 with `Allow` for a known path, otherwise 404.
pub async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, AppError> {
    let allow = routes.allowed(req.path());
    Err(if allow.is_empty() {
        AppError::RouteNotFound
    } else {
        AppError::MethodNotAllowed { allow }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_request_id_is_kept_only_when_plain() {
        let ok = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(acceptable_request_id(&ok).as_deref(), Some("abc-123_x.y:z"));
        let spaced = HeaderValue::from_static("abc 123");
        assert_eq!(acceptable_request_id(&spaced), None);
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        assert_eq!(acceptable_request_id(&long), None);
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_a_500_problem_with_the_request_id() {
        use actix_web::{middleware::from_fn, test, App};
        async fn boom() -> HttpResponse {
            panic!("a bug")
        }
        let app = test::init_service(
            App::new()
                .wrap(from_fn(request_context))
                .route("/boom", web::get().to(boom)),
        )
        .await;
        let req = test::TestRequest::get()
            .uri("/boom")
            .insert_header(("x-request-id", "rid-panic"))
            .insert_header(("accept-language", "en"))
            .to_request();
        let Err(err) = test::try_call_service(&app, req).await else {
            panic!("expected an error, not a response or a dropped connection")
        };
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), 500);
        assert_eq!(res.headers().get("content-type").unwrap(), PROBLEM_JSON);
        assert_eq!(res.headers().get("x-request-id").unwrap(), "rid-panic");
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let problem: crate::error::Problem = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem.request_id.as_deref(), Some("rid-panic"));
        assert_eq!(problem.instance.as_deref(), Some("/boom"));
        assert_eq!(problem.title, "Internal server error");
        assert!(!String::from_utf8_lossy(&body).contains("a bug"));
    }

    #[test]
    fn the_request_id_follows_into_blocking_jobs() {
        assert_eq!(current_request_id(), None);
        let seen = with_request_id(Some("r1".into()), current_request_id);
        assert_eq!(seen.as_deref(), Some("r1"));
        assert_eq!(current_request_id(), None);
    }
}
