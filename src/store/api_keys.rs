//! Queries for API keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::api_keys;
use crate::db::AnyConnection;
use crate::error::AppError;

/// A stored key (its secret only as a digest).
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    /// Id.
    pub id: String,
    /// The public part of the key, to find it.
    pub lookup_id: String,
    /// What it is for.
    pub name: String,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    /// JSON array of scopes.
    pub scopes: String,
    /// JSON array of allowed addresses (IPs or CIDR networks).
    pub allowed_addresses: String,
    /// When it stops working.
    pub expires_at: Option<NaiveDateTime>,
    /// Who made it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
    /// Last used.
    pub last_used_at: Option<NaiveDateTime>,
    /// Revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a key.
pub fn insert(conn: &mut AnyConnection, row: &ApiKeyRow) -> Result<(), AppError> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The key with `lookup_id`.
pub fn by_lookup(conn: &mut AnyConnection, lookup_id: &str) -> Result<Option<ApiKeyRow>, AppError> {
    Ok(api_keys::table
        .filter(api_keys::lookup_id.eq(lookup_id))
        .select(api_keys::all_columns)
        .first(conn)
        .optional()?)
}

/// The key with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<ApiKeyRow>, AppError> {
    Ok(api_keys::table
        .find(id)
        .select(api_keys::all_columns)
        .first(conn)
        .optional()?)
}

/// Every key, oldest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<ApiKeyRow>, AppError> {
    Ok(api_keys::table
        .select(api_keys::all_columns)
        .order(api_keys::id.asc())
        .load(conn)?)
}

/// Records a use.
pub fn touch(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Revokes a key (once); whether it was live.
pub fn revoke(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> Result<bool, AppError> {
    Ok(diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(at)))
    .execute(conn)?
        == 1)
}
