//! The error responses operations declare in the OpenAPI spec; each is a
//! `application/problem+json` [`Problem`].

use utoipa::IntoResponses;

use crate::error::Problem;

/// Errors any operation can answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// The database does not answer; retry after `Retry-After` seconds.
    #[response(status = 503, description = "The database does not answer (`Retry-After` says when to retry)", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:service-unavailable", "title": "服务暂不可用", "status": 503, "detail": "数据库暂时无法访问，请稍后重试", "instance": "/api/v1/units", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    Unavailable(Problem),
    /// A fault of the service; the body carries only the request id.
    #[response(status = 500, description = "A fault of the service; quote the request id", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:internal-error", "title": "服务器内部错误", "status": 500, "detail": "服务器发生错误，请联系管理员并提供请求编号 0190b7e2-8c1a-7cc3-9a51-000000000001", "instance": "/api/v1/units", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    Internal(Problem),
}

/// Errors of an operation with path or query parameters.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ParameterErrors {
    /// A path or query parameter was refused; `errors` names each.
    #[response(status = 400, description = "A path or query parameter was refused; `errors` names each", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:invalid-parameter", "title": "请求参数无效", "status": 400, "detail": "一个或多个路径或查询参数无效，见 errors", "instance": "/api/v1/units", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001", "errors": [{"field": "limit", "code": "out_of_range", "message": "须为 1 到 200 之间的整数"}]}))]
    InvalidParameter(Problem),
}

/// Errors of an operation that reads one resource by id.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotFoundError {
    /// No resource has this id.
    #[response(status = 404, description = "No resource has this id", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:not-found", "title": "资源不存在", "status": 404, "detail": "单位 0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a 不存在", "instance": "/api/v1/units/0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    NotFound(Problem),
}

/// Errors of an operation that takes a JSON body.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyErrors {
    /// The body is not well-formed JSON.
    #[response(status = 400, description = "The body is not well-formed JSON", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:malformed-json", "title": "请求体不是有效的 JSON", "status": 400, "detail": "无法解析请求体：EOF while parsing an object at line 1 column 10", "instance": "/api/v1/units/lookup", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    MalformedJson(Problem),
    /// The body is larger than `FRONTLINE_BODY_LIMIT`.
    #[response(status = 413, description = "The body is larger than the configured limit", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:payload-too-large", "title": "请求体过大", "status": 413, "detail": "请求体不得超过 262144 字节", "instance": "/api/v1/units/lookup", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    PayloadTooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, description = "The body is not application/json", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:unsupported-media-type", "title": "不支持的媒体类型", "status": 415, "detail": "请求体须为 JSON，Content-Type: application/json", "instance": "/api/v1/units/lookup", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    UnsupportedMediaType(Problem),
    /// A field of the body was refused; `errors` names each.
    #[response(status = 422, description = "A field of the body was refused; `errors` names each", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:validation-failed", "title": "数据校验未通过", "status": 422, "detail": "一个或多个字段无效，见 errors", "instance": "/api/v1/units/lookup", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001", "errors": [{"field": "names[0]", "code": "blank", "message": "不能为空"}]}))]
    Validation(Problem),
}

/// Errors of an operation that needs a signed-in caller.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AuthErrors {
    /// No valid access token.
    #[response(status = 401, description = "No valid access token: missing, malformed, expired, revoked, or its account inactive", content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"frontline\"`")),
        example = json!({"type": "urn:frontline:problem:unauthorized", "title": "未登录或令牌无效", "status": 401, "detail": "请先登录：缺少访问令牌，或令牌无效、已过期、已注销", "instance": "/api/v1/users", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    Unauthorized(Problem),
    /// The caller's role or unit may not do this, or a generated password must be changed first.
    #[response(status = 403, description = "The caller's role or unit may not do this, or a generated password must be changed first", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:forbidden", "title": "无权操作", "status": 403, "detail": "您的角色无权执行此操作", "instance": "/api/v1/users", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    Forbidden(Problem),
}

/// Errors of a conditional write.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    /// The write conflicts with stored data.
    #[response(status = 409, description = "The write conflicts with stored data (a name or username taken)", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:conflict", "title": "与已有数据冲突", "status": 409, "detail": "已有同名单位", "instance": "/api/v1/units", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    Conflict(Problem),
    /// `If-Match` names an old version.
    #[response(status = 412, description = "`If-Match` names an old version: read the resource again", content_type = "application/problem+json",
        headers(("ETag" = String, description = "The current version")),
        example = json!({"type": "urn:frontline:problem:precondition-failed", "title": "版本已变化", "status": 412, "detail": "该记录已被他人修改（当前 ETag \"2\"），请重新读取后再改", "instance": "/api/v1/units/0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    PreconditionFailed(Problem),
    /// No `If-Match`.
    #[response(status = 428, description = "A change needs `If-Match` with the `ETag` read", content_type = "application/problem+json",
        example = json!({"type": "urn:frontline:problem:precondition-required", "title": "缺少 If-Match", "status": 428, "detail": "修改须带 If-Match 请求头，值为读取时的 ETag", "instance": "/api/v1/units/0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"}))]
    PreconditionRequired(Problem),
}
