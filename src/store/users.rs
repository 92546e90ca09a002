//! Queries for accounts.

use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::AuthUser;
use crate::db::schema::{refresh_tokens, users};
use crate::db::AnyConnection;
use crate::domain::account::{Role, User};
use crate::domain::unit::Activity;
use crate::error::AppError;

#[derive(Queryable, Debug)]
struct UserRow {
    id: String,
    username: String,
    display_name: String,
    unit_id: Option<String>,
    role: String,
    lead_activity: Option<String>,
    active: bool,
    password_hash: String,
    must_change_password: bool,
    locked_until: Option<NaiveDateTime>,
    password_changed_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

fn corrupt(id: &str, what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("stored user {id} has an unreadable {what}: {e}"))
}

impl UserRow {
    fn into_user(self) -> Result<(User, String), AppError> {
        let role = Role::from_str(&self.role).map_err(|e| corrupt(&self.id, "role", e))?;
        let lead_activity = self
            .lead_activity
            .as_deref()
            .map(Activity::from_str)
            .transpose()
            .map_err(|e| corrupt(&self.id, "lead_activity", e))?;
        let user = User {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            unit_id: self.unit_id,
            role,
            lead_activity,
            active: self.active,
            must_change_password: self.must_change_password,
            locked_until: self.locked_until.map(|t| t.and_utc()),
            password_changed_at: self.password_changed_at.and_utc(),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            version: self.version,
        };
        Ok((user, self.password_hash))
    }
}

/// A new account.
#[derive(Insertable, Debug)]
#[diesel(table_name = users)]
pub struct NewUser {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Unit.
    pub unit_id: Option<String>,
    /// Role.
    pub role: String,
    /// Lead activity.
    pub lead_activity: Option<String>,
    /// Active.
    pub active: bool,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Whether the password is a generated one.
    pub must_change_password: bool,
    /// Locked until.
    pub locked_until: Option<NaiveDateTime>,
    /// Password set at.
    pub password_changed_at: NaiveDateTime,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Updated.
    pub updated_at: NaiveDateTime,
    /// Version.
    pub version: i64,
}

/// Inserts an account; a taken username is 409 `users_username_key`.
pub fn insert(conn: &mut AnyConnection, new: &NewUser) -> Result<User, AppError> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)?;
    get(conn, &new.id)?.ok_or_else(|| AppError::internal("inserted user not found"))
}

/// The account with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<User>, AppError> {
    let row: Option<UserRow> = users::table
        .find(id)
        .select(users::all_columns)
        .first(conn)
        .optional()?;
    row.map(|r| r.into_user().map(|(u, _)| u)).transpose()
}

/// The account with `username` and its password hash.
pub fn credentials(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<(User, String)>, AppError> {
    let row: Option<UserRow> = users::table
        .filter(users::username.eq(username))
        .select(users::all_columns)
        .first(conn)
        .optional()?;
    row.map(UserRow::into_user).transpose()
}

/// Filters of the account list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// By role.
    pub role: Option<Role>,
    /// By unit.
    pub unit_id: Option<String>,
    /// Active or not.
    pub active: Option<bool>,
}

/// Accounts in id order after `after`, at most `limit`, and whether more follow.
pub fn list(
    conn: &mut AnyConnection,
    filter: &UserFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<User>, bool), AppError> {
    let mut q = users::table
        .select(users::all_columns)
        .order(users::id.asc())
        .into_boxed();
    if let Some(role) = filter.role {
        q = q.filter(users::role.eq(role.as_str()));
    }
    if let Some(unit) = &filter.unit_id {
        q = q.filter(users::unit_id.eq(unit.clone()));
    }
    if let Some(active) = filter.active {
        q = q.filter(users::active.eq(active));
    }
    if let Some(a) = after {
        q = q.filter(users::id.gt(a.to_owned()));
    }
    let rows: Vec<UserRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    let users = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| r.into_user().map(|(u, _)| u))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((users, more))
}

/// The changes an update makes; `None` leaves a field as it is.
#[derive(AsChangeset, Debug, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// Display name.
    pub display_name: Option<String>,
    /// Unit (`Some(None)` clears it).
    pub unit_id: Option<Option<String>>,
    /// Role.
    pub role: Option<String>,
    /// Lead activity (`Some(None)` clears it).
    pub lead_activity: Option<Option<String>>,
    /// Active.
    pub active: Option<bool>,
    /// Password hash.
    pub password_hash: Option<String>,
    /// Must change the password.
    pub must_change_password: Option<bool>,
    /// Lock (`Some(None)` unlocks).
    pub locked_until: Option<Option<NaiveDateTime>>,
    /// Password set at.
    pub password_changed_at: Option<NaiveDateTime>,
}

/// Applies `changes` when the stored version is `expected_version`; bumps the version.
/// Returns the account after the change, or `None` when the version moved on.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i64,
    changes: &UserChanges,
) -> Result<Option<User>, AppError> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        changes,
        users::version.eq(expected_version + 1),
        users::updated_at.eq(crate::store::now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// Active admins.
pub fn count_active_admins(conn: &mut AnyConnection) -> Result<i64, AppError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?)
}

/// All accounts.
pub fn count(conn: &mut AnyConnection) -> Result<i64, AppError> {
    Ok(users::table.count().get_result(conn)?)
}

/// The caller behind an access token: its account when active, with the session `sid` live.
pub fn principal(
    conn: &mut AnyConnection,
    user_id: &str,
    sid: &str,
) -> Result<Option<AuthUser>, AppError> {
    // One statement on every authenticated request: the account, active, with a session
    // (refresh-token family) of its own that no token of has been revoked.
    let of_session = refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(sid.to_owned()))
        .filter(refresh_tokens::user_id.eq(user_id.to_owned()))
        .select(refresh_tokens::id);
    let revoked = refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(sid.to_owned()))
        .filter(refresh_tokens::revoked_at.is_not_null())
        .select(refresh_tokens::id);
    let row: Option<UserRow> = crate::db::direct!(conn, |c| users::table
        .find(user_id)
        .filter(users::active.eq(true))
        .filter(diesel::dsl::exists(of_session))
        .filter(diesel::dsl::not(diesel::dsl::exists(revoked)))
        .select(users::all_columns)
        .first(c)
        .optional())?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (user, _) = row.into_user()?;
    Ok(Some(AuthUser {
        id: user.id,
        username: user.username,
        role: user.role,
        unit_id: user.unit_id,
        lead_activity: user.lead_activity,
        session_id: sid.to_owned(),
        must_change_password: user.must_change_password,
        key: None,
    }))
}

/// Sets or clears the sign-in lock (no version change: the lock is not an edit of the account).
pub fn set_locked_until(
    conn: &mut AnyConnection,
    id: &str,
    until: Option<NaiveDateTime>,
) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::locked_until.eq(until))
        .execute(conn)?;
    Ok(())
}

/// A new active account with a generated password to change at first sign-in.
pub fn new_account(
    username: &str,
    display_name: &str,
    role: Role,
    unit_id: Option<String>,
    lead_activity: Option<Activity>,
    password_hash: String,
) -> NewUser {
    let now = crate::store::now();
    NewUser {
        id: uuid::Uuid::now_v7().to_string(),
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        unit_id,
        role: role.as_str().to_owned(),
        lead_activity: lead_activity.map(|a| a.as_str().to_owned()),
        active: true,
        password_hash,
        must_change_password: true,
        locked_until: None,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}
