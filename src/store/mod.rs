//! diesel queries, one module per aggregate. Every function takes a connection that
//! [`crate::db::run`] checked out on the blocking pool; writes run in
//! [`crate::db::write_transaction`]. No business rule lives here.

pub mod api_keys;
pub mod audit;
pub mod compliance;
pub mod draws;
pub mod health;
pub mod hotline;
pub mod issues;
pub mod matters;
pub mod participations;
pub mod reports;
pub mod schedules;
pub mod service_records;
pub mod sessions;
pub mod units;
pub mod users;
pub mod webhooks;
pub mod wechat;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// The current time as stored: UTC, truncated to microseconds (PostgreSQL's precision), so that
/// both backends give back exactly what was written.
pub fn now() -> NaiveDateTime {
    Utc::now().trunc_subsecs(6).naive_utc()
}

/// A stored UTC timestamp as a `DateTime<Utc>`.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// Escapes `%`, `_` and `\\` for a `LIKE … ESCAPE '\\'` pattern that matches `text` anywhere.
pub fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}
