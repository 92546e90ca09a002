//! Queries for WeChat sign-in: bindings of openids to accounts, and binding tickets.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{wechat_bindings, wechat_tickets};
use crate::db::AnyConnection;
use crate::error::AppError;

/// The account `openid` is bound to.
pub fn user_of(conn: &mut AnyConnection, openid: &str) -> Result<Option<String>, AppError> {
    Ok(wechat_bindings::table
        .find(openid)
        .select(wechat_bindings::user_id)
        .first(conn)
        .optional()?)
}

/// The openid bound to `user_id`.
pub fn openid_of(conn: &mut AnyConnection, user_id: &str) -> Result<Option<String>, AppError> {
    Ok(wechat_bindings::table
        .filter(wechat_bindings::user_id.eq(user_id))
        .select(wechat_bindings::openid)
        .first(conn)
        .optional()?)
}

/// Binds `openid` to `user_id`, replacing the account's previous binding; the openid must not
/// be bound to another account (the caller checks, holding the openid's lock).
pub fn bind(
    conn: &mut AnyConnection,
    openid: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::delete(
        wechat_bindings::table.filter(
            wechat_bindings::user_id
                .eq(user_id)
                .or(wechat_bindings::openid.eq(openid)),
        ),
    )
    .execute(conn)?;
    diesel::insert_into(wechat_bindings::table)
        .values((
            wechat_bindings::openid.eq(openid),
            wechat_bindings::user_id.eq(user_id),
            wechat_bindings::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends `user_id`'s binding; the openid it had.
pub fn unbind(conn: &mut AnyConnection, user_id: &str) -> Result<Option<String>, AppError> {
    let openid = openid_of(conn, user_id)?;
    diesel::delete(wechat_bindings::table.filter(wechat_bindings::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(openid)
}

/// Stores a ticket (its digest) for `openid` until `expires_at`.
pub fn insert_ticket(
    conn: &mut AnyConnection,
    hash: &str,
    openid: &str,
    expires_at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(wechat_tickets::table)
        .values((
            wechat_tickets::ticket_hash.eq(hash),
            wechat_tickets::openid.eq(openid),
            wechat_tickets::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The openid of a ticket that is unused and unexpired at `now`, without spending it.
pub fn peek_ticket(
    conn: &mut AnyConnection,
    hash: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    Ok(wechat_tickets::table
        .find(hash)
        .filter(wechat_tickets::used_at.is_null())
        .filter(wechat_tickets::expires_at.gt(now))
        .select(wechat_tickets::openid)
        .first(conn)
        .optional()?)
}

/// Spends a ticket that is unused and unexpired at `now`: its openid, or `None` if it was
/// spent (concurrently too), expired or unknown.
pub fn take_ticket(
    conn: &mut AnyConnection,
    hash: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    let n = diesel::update(
        wechat_tickets::table
            .find(hash)
            .filter(wechat_tickets::used_at.is_null())
            .filter(wechat_tickets::expires_at.gt(now)),
    )
    .set(wechat_tickets::used_at.eq(Some(now)))
    .execute(conn)?;
    if n != 1 {
        return Ok(None);
    }
    Ok(wechat_tickets::table
        .find(hash)
        .select(wechat_tickets::openid)
        .first(conn)
        .optional()?)
}

/// Removes tickets that expired before `cutoff`.
pub fn purge_tickets(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> Result<usize, AppError> {
    Ok(
        diesel::delete(wechat_tickets::table.filter(wechat_tickets::expires_at.lt(cutoff)))
            .execute(conn)?,
    )
}
