//! Sessions (refresh-token families) and login attempts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{login_attempts, refresh_tokens};
use crate::db::AnyConnection;
use crate::error::AppError;

/// A stored refresh token.
#[derive(Queryable, Debug, Clone)]
pub struct RefreshRow {
    /// The token's id (its `jti`).
    pub id: String,
    /// Its family (the session).
    pub family_id: String,
    /// The account.
    pub user_id: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    /// When issued.
    pub issued_at: NaiveDateTime,
    /// When the family began (the login).
    pub family_started_at: NaiveDateTime,
    /// When it expires (idle or absolute, whichever first).
    pub expires_at: NaiveDateTime,
    /// When it was exchanged for a new one.
    pub rotated_at: Option<NaiveDateTime>,
    /// When it (or its family) was revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// A refresh token to store.
#[derive(Insertable, Debug)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefresh<'a> {
    /// Its `jti`.
    pub id: &'a str,
    /// Its family.
    pub family_id: &'a str,
    /// The account.
    pub user_id: &'a str,
    /// SHA-256 of the token.
    pub token_hash: &'a str,
    /// Issued at.
    pub issued_at: NaiveDateTime,
    /// The family's start.
    pub family_started_at: NaiveDateTime,
    /// Expiry.
    pub expires_at: NaiveDateTime,
}

/// Stores a refresh token.
pub fn insert_refresh(conn: &mut AnyConnection, new: &NewRefresh<'_>) -> Result<(), AppError> {
    diesel::insert_into(refresh_tokens::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// The refresh token with this hash.
pub fn find_refresh(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<RefreshRow>, AppError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(refresh_tokens::all_columns)
        .first(conn)
        .optional()?)
}

/// Marks a token rotated, once: `false` when it was rotated already (a reuse).
pub fn mark_rotated(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::rotated_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::rotated_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every token of a family; returns how many were live.
pub fn revoke_family(
    conn: &mut AnyConnection,
    family_id: &str,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)?)
}

/// Revokes every session of an account except `keep`.
pub fn revoke_user_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: Option<&str>,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let mut q = diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .into_boxed();
    if let Some(k) = keep {
        q = q.filter(refresh_tokens::family_id.ne(k.to_owned()));
    }
    Ok(q.set(refresh_tokens::revoked_at.eq(at)).execute(conn)?)
}

/// Records a sign-in attempt.
pub fn record_attempt(
    conn: &mut AnyConnection,
    username: &str,
    client: &str,
    at: NaiveDateTime,
    succeeded: bool,
) -> Result<(), AppError> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::id.eq(uuid::Uuid::now_v7().to_string()),
            login_attempts::username.eq(username),
            login_attempts::client.eq(client),
            login_attempts::at.eq(at),
            login_attempts::succeeded.eq(succeeded),
        ))
        .execute(conn)?;
    Ok(())
}

/// Failed attempts for `username` since `since`.
pub fn failures_since(
    conn: &mut AnyConnection,
    username: &str,
    since: NaiveDateTime,
) -> Result<i64, AppError> {
    Ok(login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Attempts from `client` since `since`, and the oldest of them.
pub fn client_attempts_since(
    conn: &mut AnyConnection,
    client: &str,
    since: NaiveDateTime,
) -> Result<(i64, Option<NaiveDateTime>), AppError> {
    let times: Vec<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::client.eq(client))
        .filter(login_attempts::at.ge(since))
        .select(login_attempts::at)
        .order(login_attempts::at.asc())
        .load(conn)?;
    Ok((times.len() as i64, times.first().copied()))
}

/// Whether any token of the family was revoked: a family is revoked as a whole, so a token
/// added by a refresh racing a sign-out is dead too.
pub fn family_revoked(conn: &mut AnyConnection, family_id: &str) -> Result<bool, AppError> {
    let revoked: i64 = refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(family_id))
        .filter(refresh_tokens::revoked_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(revoked > 0)
}

/// The last successful sign-in of `username`.
pub fn last_success(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(true))
        .select(diesel::dsl::max(login_attempts::at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

/// Deletes login attempts older than `attempts_before` and refresh tokens that expired before
/// `tokens_before`; how many of each. Neither is history: the audit log keeps the sign-ins.
pub fn prune(
    conn: &mut AnyConnection,
    attempts_before: NaiveDateTime,
    tokens_before: NaiveDateTime,
) -> Result<(usize, usize), AppError> {
    let a = diesel::delete(login_attempts::table.filter(login_attempts::at.lt(attempts_before)))
        .execute(conn)?;
    let t =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(tokens_before)))
            .execute(conn)?;
    Ok((a, t))
}
