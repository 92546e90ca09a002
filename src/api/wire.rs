//! Dates and times written straight into JSON, for the records lists send by the dozen.
//! chrono's `Serialize` formats through `core::fmt` into serde_json's `collect_str`, which
//! escapes what it is given one character at a time: 10 % of a list of 50 participations
//! (benches/RESULTS.md, fifth pass). These write the very text chrono writes (`2026-11-29`;
//! RFC 3339 with `Z` and a fraction of 0, 3, 6 or 9 digits), and leave to chrono what is out of
//! their range (years outside 0–9999, a leap second).

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Serialize, Serializer};

fn two(buf: &mut [u8], at: usize, v: u32) {
    buf[at] = b'0' + (v / 10 % 10) as u8;
    buf[at + 1] = b'0' + (v % 10) as u8;
}

/// `YYYY-MM-DD` into `buf[..10]`; `None` outside years 0–9999.
fn put_date(d: NaiveDate, buf: &mut [u8]) -> Option<()> {
    let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    two(buf, 0, year / 100);
    two(buf, 2, year % 100);
    buf[4] = b'-';
    two(buf, 5, d.month());
    buf[7] = b'-';
    two(buf, 8, d.day());
    Some(())
}

/// The text chrono gives the date; `None` where chrono is left to write it.
fn date_text(d: NaiveDate, buf: &mut [u8; 10]) -> Option<&str> {
    put_date(d, buf)?;
    std::str::from_utf8(buf).ok()
}

/// The text chrono's `Serialize` gives the instant; `None` where chrono is left to write it.
fn utc_text<'a>(t: &DateTime<Utc>, buf: &'a mut [u8; 30]) -> Option<&'a str> {
    let n = t.naive_utc();
    let nanos = n.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    put_date(n.date(), buf)?;
    buf[10] = b'T';
    two(buf, 11, n.hour());
    buf[13] = b':';
    two(buf, 14, n.minute());
    buf[16] = b':';
    two(buf, 17, n.second());
    let (digits, mut fraction) = if nanos == 0 {
        (0, 0)
    } else if nanos % 1_000_000 == 0 {
        (3, nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        (6, nanos / 1_000)
    } else {
        (9, nanos)
    };
    let mut len = 19;
    if digits > 0 {
        buf[len] = b'.';
        for i in (0..digits).rev() {
            buf[len + 1 + i] = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        len += 1 + digits;
    }
    buf[len] = b'Z';
    std::str::from_utf8(&buf[..=len]).ok()
}

/// `serialize_with` for a [`NaiveDate`].
pub fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0; 10];
    match date_text(*d, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => d.serialize(s),
    }
}

/// `serialize_with` for a `DateTime<Utc>`.
pub fn utc<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0; 30];
    match utc_text(t, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => t.serialize(s),
    }
}

/// An instant written by [`utc`].
struct Instant<'a>(&'a DateTime<Utc>);

impl Serialize for Instant<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        utc(self.0, s)
    }
}

/// `serialize_with` for an `Option<DateTime<Utc>>`.
pub fn opt_utc<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&Instant(t)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "date")]
        d: NaiveDate,
        #[serde(serialize_with = "utc")]
        t: DateTime<Utc>,
        #[serde(serialize_with = "opt_utc")]
        o: Option<DateTime<Utc>>,
    }

    #[derive(Serialize)]
    struct Chronos {
        d: NaiveDate,
        t: DateTime<Utc>,
        o: Option<DateTime<Utc>>,
    }

    fn same(d: NaiveDate, t: DateTime<Utc>, o: Option<DateTime<Utc>>) {
        let ours = serde_json::to_string(&Ours { d, t, o }).unwrap();
        let chronos = serde_json::to_string(&Chronos { d, t, o }).unwrap();
        assert_eq!(ours, chronos);
    }

    #[test]
    fn dates_and_instants_read_as_chrono_writes_them() {
        let at = |s: &str, nanos: u32| {
            let n = NaiveDateTime::parse_from_str(s, "%F %T").unwrap();
            Utc.from_utc_datetime(&n.with_nanosecond(nanos).unwrap())
        };
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for nanos in [
            0,
            1,
            7,
            999,
            1_000,
            120_000,
            999_999,
            1_000_000,
            5_000_000,
            123_000_000,
            123_456_000,
            123_456_789,
            999_999_999,
        ] {
            same(
                day(2026, 11, 29),
                at("2026-11-29 23:59:59", nanos),
                Some(at("2025-01-01 00:00:00", nanos)),
            );
        }
        // A leap second and years out of four digits are left to chrono, and come out the same.
        same(day(0, 1, 1), at("0000-01-01 00:00:00", 0), None);
        same(
            day(9999, 12, 31),
            at("9999-12-31 23:59:59", 1_500_000_000),
            None,
        );
        same(
            day(-1, 12, 31),
            Utc.from_utc_datetime(&day(-1, 12, 31).and_hms_opt(8, 5, 3).unwrap()),
            None,
        );
        same(
            day(10_000, 1, 1),
            Utc.from_utc_datetime(&day(10_000, 1, 1).and_hms_opt(0, 0, 0).unwrap()),
            None,
        );
        // Every day of a leap year and its neighbours, at a time of each digit.
        let mut d = day(2023, 12, 25);
        while d < day(2025, 1, 8) {
            let t = Utc.from_utc_datetime(
                &d.and_hms_micro_opt(
                    d.ordinal() % 24,
                    d.ordinal() % 60,
                    d.day() % 60,
                    d.ordinal() * 997,
                )
                .unwrap(),
            );
            same(d, t, Some(t));
            d = d.succ_opt().unwrap();
        }
        assert_eq!(
            serde_json::to_string(&Ours {
                d: day(2026, 3, 4),
                t: at("2026-03-04 05:06:07", 8_000_000),
                o: None
            })
            .unwrap(),
            r#"{"d":"2026-03-04","t":"2026-03-04T05:06:07.008Z","o":null}"#
        );
    }
}
