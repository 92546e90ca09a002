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

/// A stored timestamp, read for the lists. On SQLite, where timestamps are text, diesel tries
/// chrono's format parser (7 % of a list of 50: benches/RESULTS.md, fifth pass); the text the
/// service writes (`YYYY-MM-DD HH:MM:SS[.ffffff]`) is read here digit by digit, and any other
/// form is left to diesel. On PostgreSQL it is diesel's own reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Stamp(pub NaiveDateTime);

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1–9 digits; `None` for anything else.
fn parse_stamp(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            num(20, b.len())? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    date.and_hms_nano_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, nanos)
}

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::sqlite::Sqlite> for Stamp {
    fn from_sql(
        mut value: diesel::sqlite::SqliteValue<'_, '_, '_>,
    ) -> diesel::deserialize::Result<Self> {
        if value.value_type() == Some(diesel::sqlite::SqliteType::Text) {
            if let Some(at) = parse_stamp(value.read_text()) {
                return Ok(Stamp(at));
            }
        }
        <NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::sqlite::Sqlite,
        >>::from_sql(value)
        .map(Stamp)
    }
}

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::pg::Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::pg::Pg,
        >>::from_sql(value)
        .map(Stamp)
    }
}

#[cfg(test)]
mod stamp_tests {
    use super::*;

    #[test]
    fn a_stored_timestamp_reads_as_chrono_reads_it() {
        for text in [
            "2026-11-29 12:34:56",
            "2026-11-29 12:34:56.1",
            "2026-11-29 12:34:56.123456",
            "2026-11-29 00:00:00.000001",
            "2024-02-29 23:59:59.999999999",
            "0001-01-01 00:00:00",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(parse_stamp(text), Some(chrono), "{text}");
        }
        // What is not the service's own form goes to diesel's parser.
        for text in [
            "2026-11-29T12:34:56",
            "2026-11-29 12:34",
            "2026-11-29 12:34:56Z",
            "2026-11-29 12:34:56.",
            "2026-11-29 12:34:56.1234567890",
            "2026-02-30 12:34:56",
            "2026-11-29 24:00:00",
            "2026-1a-29 12:34:56",
            "+2026-11-29 12:34:5",
            "",
        ] {
            assert_eq!(parse_stamp(text), None, "{text}");
        }
    }
}
