//! Accounts: admins create, change and deactivate them (never delete); coordinators read them.
//! A new account gets a generated one-time password, shown once in the answer and to be
//! changed at first sign-in.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::api::units::{etag, parse_id};
use crate::auth::password::one_time_password;
use crate::auth::{policy, AuthState, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::account::{role_shape_issues, Role, User};
use crate::domain::audit::diff;
use crate::domain::unit::Activity;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditCtx, AuditEntry};
use crate::store::users::{self, NewUser, UserChanges, UserFilter};

/// A new account.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "sfj.clerk", "display_name": "司法局 李四", "role": "lead", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "lead_activity": "enforcement"}))]
pub struct CreateUser {
    /// 3–32 characters of a–z, 0–9, `.`, `_`, `-`; unique.
    #[validate(length(min = 3, max = 32))]
    pub username: String,
    /// Name shown to people, 1–50 characters.
    #[validate(length(min = 1, max = 50))]
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The unit the account acts for (required for coordinator, lead and unit).
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    /// For a lead: its activity.
    pub lead_activity: Option<Activity>,
}

/// A created account and its one-time password (shown only here).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreatedUser {
    /// The account.
    pub user: User,
    /// The generated password; the account must change it at first sign-in.
    pub one_time_password: String,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUser {
    /// New display name.
    #[validate(length(min = 1, max = 50))]
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New unit (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<Option<String>>,
    /// New lead activity (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<Activity>)]
    pub lead_activity: Option<Option<Activity>>,
    /// `false` deactivates the account (its sessions end); `true` reactivates it.
    pub active: Option<bool>,
    /// `true` sets a new one-time password (returned once) and ends the account's sessions.
    pub reset_password: Option<bool>,
}

/// An account after a change, and a new one-time password when one was asked for.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct UpdatedUser {
    /// The account.
    pub user: User,
    /// The new one-time password, when `reset_password` was true.
    pub one_time_password: Option<String>,
}

fn username_issues(username: &str) -> Vec<FieldIssue> {
    let ok = username.len() >= 3
        && username.len() <= 32
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Vec::new()
    } else {
        vec![FieldIssue::new(
            "username",
            "invalid_username",
            "须为 3 到 32 个小写字母、数字或 . _ -",
            "3 to 32 of a-z, 0-9, . _ -",
        )]
    }
}

fn blank_name(name: Option<&str>) -> Option<FieldIssue> {
    name.filter(|n| n.trim().is_empty())
        .map(|_| FieldIssue::new("display_name", "blank", "不能为空", "must not be blank"))
}

fn shape_issues(role: Role, unit: Option<&str>, activity: Option<Activity>) -> Vec<FieldIssue> {
    role_shape_issues(role, unit.is_some(), activity)
        .into_iter()
        .map(|(f, c, zh, en)| FieldIssue::new(f, c, zh, en))
        .collect()
}

/// Refuses a `unit_id` that names no unit.
fn check_unit(conn: &mut AnyConnection, unit_id: Option<&str>) -> Result<(), AppError> {
    let Some(id) = unit_id else { return Ok(()) };
    let known = uuid::Uuid::parse_str(id)
        .ok()
        .map(|u| crate::store::units::get(conn, crate::domain::unit::UnitId(u)))
        .transpose()?
        .flatten()
        .is_some();
    if known {
        Ok(())
    } else {
        Err(AppError::Validation(vec![FieldIssue::new(
            "unit_id",
            "unknown_unit",
            "没有该单位",
            "no unit has this id",
        )]))
    }
}

/// Creates an account with a one-time password (admin).
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    request_body(content = CreateUser, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the one-time password is shown only here", body = CreatedUser,
            headers(("Location" = String, description = "The account's URL"), ("ETag" = String, description = "Its version"))),
        BodyErrors, AuthErrors, WriteErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    ctx: RequestCtx,
    user: AuthUser,
    state: web::Data<AuthState>,
    pool: web::Data<DbPool>,
    body: JsonBody<CreateUser>,
) -> Result<HttpResponse, AppError> {
    policy::manage_users(&user)?;
    let body = body.into_inner()?;
    let mut issues = username_issues(&body.username);
    issues.extend(blank_name(Some(&body.display_name)));
    issues.extend(shape_issues(
        body.role,
        body.unit_id.as_deref(),
        body.lead_activity,
    ));
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let state = state.into_inner();
    let actx = ctx.audit(Some(&user));
    let (created, otp) = crate::db::run(&pool, move |conn| {
        check_unit(conn, body.unit_id.as_deref())?;
        let otp = one_time_password();
        let hash = state.hasher.hash(&otp).map_err(AppError::internal)?;
        let new = users::new_account(
            &body.username,
            body.display_name.trim(),
            body.role,
            body.unit_id,
            body.lead_activity,
            hash,
        );
        let created = create_account(conn, &actx, &new)?;
        Ok((created, otp))
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.id)))
        .insert_header((header::ETAG, etag(created.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedUser {
            user: created,
            one_time_password: otp,
        }))
}

/// Inserts an account with its audit record, in one transaction (also used by the command
/// line and the first start).
pub fn create_account(
    conn: &mut AnyConnection,
    actx: &AuditCtx,
    new: &NewUser,
) -> Result<User, AppError> {
    write_transaction(conn, |conn| {
        let created = users::insert(conn, new)?;
        let changes = diff(
            &serde_json::Value::Null,
            &serde_json::to_value(&created).unwrap_or_default(),
        );
        audit::record(
            conn,
            actx,
            AuditEntry {
                action: "user.create",
                target_type: Some("user"),
                target_id: Some(&created.id),
                changes: Some(changes),
                outcome: "success",
            },
        )?;
        Ok(created)
    })
}

/// Query parameters of the account list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersParams {
    /// Only accounts of this role.
    #[param(value_type = Option<Role>)]
    pub role: Option<String>,
    /// Only accounts of this unit.
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Only active (`true`) or inactive (`false`) accounts.
    #[param(value_type = Option<bool>)]
    pub active: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of accounts.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct UserList {
    /// The accounts, oldest first.
    pub items: Vec<User>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists accounts (admin, coordinator).
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    params(ListUsersParams),
    responses((status = 200, description = "One page of accounts", body = UserList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListUsersParams>,
) -> Result<HttpResponse, AppError> {
    policy::read_users(&user)?;
    let p = params.into_inner();
    let mut params = Params::default();
    let role = params.enumeration::<Role>("role", p.role.as_deref());
    let active = params.boolean("active", p.active.as_deref());
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    let unit_id = params.uuid("unit_id", p.unit_id.as_deref());
    params.finish()?;
    let filter = UserFilter {
        role,
        unit_id,
        active,
    };
    let (items, more) = crate::db::run(&pool, move |conn| {
        users::list(conn, &filter, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&items, more, |x| &x.id);
    Ok(HttpResponse::Ok().json(UserList { items, next_cursor }))
}

/// Reads an account (admin, coordinator, or the account itself).
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("id" = String, Path, format = Uuid, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = User, headers(("ETag" = String, description = "Its version"))),
        ParameterErrors, AuthErrors, NotFoundError, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    policy::read_user(&user, &id)?;
    let lookup = id.clone();
    let found = crate::db::run(&pool, move |conn| users::get(conn, &lookup)).await?;
    let found = found.ok_or(AppError::NotFound {
        resource: "user",
        id,
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Changes an account (admin); `If-Match` with its `ETag` is required. Deactivating ends its
/// sessions; the last active admin cannot be deactivated or demoted.
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    params(
        ("id" = String, Path, format = Uuid, description = "The account's id"),
        ("If-Match" = String, Header, description = "The `ETag` read", example = "\"1\""),
    ),
    request_body(content = UpdateUser, content_type = "application/json"),
    responses(
        (status = 200, description = "The changed account", body = UpdatedUser, headers(("ETag" = String, description = "The new version"))),
        ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    ctx: RequestCtx,
    user: AuthUser,
    state: web::Data<AuthState>,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<UpdateUser>,
) -> Result<HttpResponse, AppError> {
    policy::manage_users(&user)?;
    let id = parse_id(&id)?.to_string();
    let body = body.into_inner()?;
    if let Some(issue) = blank_name(body.display_name.as_deref()) {
        return Err(AppError::Validation(vec![issue]));
    }
    let state = state.into_inner();
    let actx = ctx.audit(Some(&user));
    let (after, otp) = crate::db::run(&pool, move |conn| {
        let before = users::get(conn, &id)?.ok_or_else(|| AppError::NotFound {
            resource: "user",
            id: id.clone(),
        })?;
        let version = ctx.expect_version(before.version)?;
        let role = body.role.unwrap_or(before.role);
        let unit = body.unit_id.clone().unwrap_or(before.unit_id.clone());
        let activity = body.lead_activity.unwrap_or(before.lead_activity);
        let issues = shape_issues(role, unit.as_deref(), activity);
        if !issues.is_empty() {
            return Err(AppError::Validation(issues));
        }
        if body.unit_id.is_some() {
            check_unit(conn, unit.as_deref())?;
        }
        let otp = body.reset_password.unwrap_or(false).then(one_time_password);
        let now = crate::store::now();
        let mut changes = UserChanges {
            display_name: body.display_name.map(|d| d.trim().to_owned()),
            unit_id: body.unit_id,
            role: body.role.map(|r| r.as_str().to_owned()),
            lead_activity: body.lead_activity.map(|a| a.map(|a| a.as_str().to_owned())),
            active: body.active,
            ..Default::default()
        };
        if let Some(otp) = &otp {
            changes.password_hash = Some(state.hasher.hash(otp).map_err(AppError::internal)?);
            changes.must_change_password = Some(true);
            changes.password_changed_at = Some(now);
            changes.locked_until = Some(None);
        }
        let after = write_transaction(conn, |conn| {
            let demoted = before.role == Role::Admin
                && before.active
                && (role != Role::Admin || body.active == Some(false));
            if demoted && users::count_active_admins(conn)? <= 1 {
                return Err(AppError::Conflict {
                    constraint: "last_admin".into(),
                });
            }
            let after = users::update(conn, &before.id, version, &changes)?.ok_or_else(|| {
                AppError::PreconditionFailed {
                    current: etag(before.version + 1),
                }
            })?;
            let mut unbound = None;
            if body.active == Some(false) || otp.is_some() {
                crate::store::sessions::revoke_user_sessions(conn, &before.id, None, now)?;
                // Deactivated or reset: its WeChat binding ends too.
                unbound = crate::store::wechat::unbind(conn, &before.id)?;
            }
            let mut d = diff(
                &serde_json::to_value(&before).unwrap_or_default(),
                &serde_json::to_value(&after).unwrap_or_default(),
            );
            if let Some(openid) = unbound {
                d["wechat_binding"] = serde_json::json!({"before": crate::domain::wechat::openid_ref(&openid), "after": null});
            }
            if otp.is_some() {
                d["password"] = serde_json::json!({"before": null, "after": "reset"});
            }
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "user.update",
                    target_type: Some("user"),
                    target_id: Some(&before.id),
                    changes: Some(d),
                    outcome: "success",
                },
            )?;
            Ok(after)
        })?;
        Ok((after, otp))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(after.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(UpdatedUser {
            user: after,
            one_time_password: otp,
        }))
}
