//! The programme's calendar: local dates in Asia/Shanghai (UTC+8, no daylight saving) and
//! calendar quarters named like `2026-Q3` (DOMAIN.md "Calendar").

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// Asia/Shanghai: eight hours east of UTC, all year (no daylight saving).
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The local (Asia/Shanghai) date of a UTC instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&SHANGHAI).date_naive()
}

/// The UTC instant (naive, as stored) at which the local date `day` ends: the next local
/// midnight. "As of the end of `day`" means strictly before this instant.
pub fn end_of_day(day: NaiveDate) -> chrono::NaiveDateTime {
    (day + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        - chrono::Duration::hours(8)
}

/// The UTC instant at which the local date `day` begins (local midnight).
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    start_of_day_naive(day).and_utc()
}

/// [`start_of_day`], naive, as stored.
pub fn start_of_day_naive(day: NaiveDate) -> chrono::NaiveDateTime {
    day.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(8)
}

/// A calendar quarter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    number: u8,
}

/// Why a quarter name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected a quarter like 2026-Q3 (year 2000–2099, quarter 1–4)")]
pub struct BadQuarter;

impl Quarter {
    /// The quarter `number` (1–4) of `year` (2000–2099).
    pub fn new(year: i32, number: u8) -> Result<Self, BadQuarter> {
        if (2000..=2099).contains(&year) && (1..=4).contains(&number) {
            Ok(Quarter { year, number })
        } else {
            Err(BadQuarter)
        }
    }

    /// The quarter a local date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Quarter {
            year: date.year(),
            number: (date.month0() / 3 + 1) as u8,
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The quarter's number, 1–4.
    pub fn number(self) -> u8 {
        self.number
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        let month = u32::from(self.number - 1) * 3 + 1;
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The first month of the quarter's last month (e.g. 9 for Q3), used by deadlines such as
    /// "by day 20 of the quarter's last month".
    pub fn last_month(self) -> u32 {
        u32::from(self.number) * 3
    }

    /// The quarter after this one.
    pub fn next(self) -> Self {
        if self.number == 4 {
            Quarter {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    /// The quarter before this one.
    pub fn prev(self) -> Self {
        if self.number == 1 {
            Quarter {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number - 1,
            }
        }
    }

    /// Whether a local date falls in this quarter.
    pub fn contains(self, date: NaiveDate) -> bool {
        Quarter::of(date) == self
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = BadQuarter;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (year, q) = s.split_once("-Q").ok_or(BadQuarter)?;
        if year.len() != 4 || q.len() != 1 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadQuarter);
        }
        let year: i32 = year.parse().map_err(|_| BadQuarter)?;
        let number: u8 = q.parse().map_err(|_| BadQuarter)?;
        Quarter::new(year, number)
    }
}

/// A period of local dates, both ends included: a month `2026-07`, a quarter `2026-Q3`, a year
/// `2026`, or `2026-07-01..2026-09-30` (at most 366 days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// Why a period was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected a month 2026-07, a quarter 2026-Q3, a year 2026 or 2026-07-01..2026-09-30 (years 2000–2099, at most 366 days)")]
pub struct BadPeriod;

impl Period {
    /// Whether `date` falls in the period.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

impl FromStr for Period {
    type Err = BadPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let date = |t: &str| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .filter(|d| t.len() == 10 && (2000..=2099).contains(&d.year()))
        };
        let year = |t: &str| {
            (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<i32>().ok())
                .flatten()
                .filter(|y| (2000..=2099).contains(y))
        };
        let period = if let Some((a, b)) = s.split_once("..") {
            let (from, to) = (date(a).ok_or(BadPeriod)?, date(b).ok_or(BadPeriod)?);
            if to < from || (to - from).num_days() > 365 {
                return Err(BadPeriod);
            }
            Period { from, to }
        } else if let Ok(q) = s.parse::<Quarter>() {
            Period {
                from: q.first_day(),
                to: q.last_day(),
            }
        } else if let Some(y) = year(s) {
            Period {
                from: NaiveDate::from_ymd_opt(y, 1, 1).ok_or(BadPeriod)?,
                to: NaiveDate::from_ymd_opt(y, 12, 31).ok_or(BadPeriod)?,
            }
        } else {
            let (y, m) = s.split_once('-').ok_or(BadPeriod)?;
            let y = year(y).ok_or(BadPeriod)?;
            if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadPeriod);
            }
            let m: u32 = m.parse().map_err(|_| BadPeriod)?;
            let from = NaiveDate::from_ymd_opt(y, m, 1).ok_or(BadPeriod)?;
            let next = from
                .checked_add_months(chrono::Months::new(1))
                .ok_or(BadPeriod)?;
            Period {
                from,
                to: next.pred_opt().ok_or(BadPeriod)?,
            }
        };
        Ok(period)
    }
}

crate::text_enum! {
    /// How a deadline counts its days.
    pub enum DayCount {
        /// Calendar days (the default).
        Calendar => "calendar",
        /// Working days: weekends and public holidays skipped, make-up working days (调休)
        /// counted.
        Working => "working",
    }
}

/// The working calendar: weekends are days off unless listed as make-up working days; listed
/// public holidays are days off. Maintained per year, never hard-coded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Public holidays (法定节假日).
    pub holidays: std::collections::BTreeSet<NaiveDate>,
    /// Make-up working days on a weekend (调休上班).
    pub workdays: std::collections::BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    /// Whether `d` is a working day.
    pub fn is_working(&self, d: NaiveDate) -> bool {
        use chrono::Weekday::{Sat, Sun};
        self.workdays.contains(&d)
            || (!self.holidays.contains(&d) && !matches!(d.weekday(), Sat | Sun))
    }

    /// The day `n` days after `start`, which is day 0: calendar days, or working days (the
    /// n-th working day after `start`).
    pub fn add(&self, start: NaiveDate, n: u32, count: DayCount) -> NaiveDate {
        match count {
            DayCount::Calendar => start + chrono::Duration::days(i64::from(n)),
            DayCount::Working => {
                let mut d = start;
                let mut left = n;
                while left > 0 {
                    d = d.succ_opt().unwrap_or(d);
                    if self.is_working(d) {
                        left -= 1;
                    }
                }
                d
            }
        }
    }

    /// A "by day N" deadline on `d`: with working days, a day off moves it to the next working
    /// day; with calendar days it stays.
    pub fn roll(&self, d: NaiveDate, count: DayCount) -> NaiveDate {
        let mut d = d;
        if count == DayCount::Working {
            while !self.is_working(d) {
                d = d.succ_opt().unwrap_or(d);
            }
        }
        d
    }
}

/// Day `day` of the month of `first` (clamped to the month's last day).
fn day_of_month(first: NaiveDate, day: u32) -> NaiveDate {
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(first);
    first.with_day(day.clamp(1, last.day())).unwrap_or(last)
}

/// When the monthly statistics of the month starting `month_first` are due (四(二), R12): day
/// `day` of the next month, rolled to a working day in working-day mode.
pub fn monthly_report_due(
    month_first: NaiveDate,
    day: u32,
    calendar: &WorkCalendar,
    count: DayCount,
) -> NaiveDate {
    let next = month_first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month_first);
    calendar.roll(day_of_month(next, day), count)
}

/// A deadline "by day `day` of the quarter's last month": the quarterly summary (四(三), R12)
/// and the quarter's issue lists (五(二), R9); rolled to a working day in working-day mode.
pub fn due_in_last_month(
    quarter: Quarter,
    day: u32,
    calendar: &WorkCalendar,
    count: DayCount,
) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(quarter.year(), quarter.last_month(), 1)
        .unwrap_or_else(|| quarter.first_day());
    calendar.roll(day_of_month(first, day), count)
}

/// Days a submission on `on` is late for a deadline `due` (0 on time; the due day itself is on
/// time until its end).
pub fn days_late(due: NaiveDate, on: NaiveDate) -> i32 {
    i32::try_from((on - due).num_days().max(0)).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn quarter_names_round_trip() {
        let q: Quarter = "2026-Q3".parse().unwrap();
        assert_eq!((q.year(), q.number()), (2026, 3));
        assert_eq!(q.to_string(), "2026-Q3");
        for bad in [
            "2026-Q0", "2026-Q5", "2026Q3", "26-Q3", "2026-q3", "2026-Q", "1999-Q1", "2026-Q3 ",
            "+026-Q3",
        ] {
            assert_eq!(bad.parse::<Quarter>(), Err(BadQuarter), "{bad}");
        }
    }

    #[test]
    fn quarters_start_and_end_on_calendar_edges() {
        let q1: Quarter = "2024-Q1".parse().unwrap();
        assert_eq!(q1.first_day(), d(2024, 1, 1));
        assert_eq!(q1.last_day(), d(2024, 3, 31));
        let q4: Quarter = "2026-Q4".parse().unwrap();
        assert_eq!(q4.first_day(), d(2026, 10, 1));
        assert_eq!(q4.last_day(), d(2026, 12, 31));
        assert_eq!(q4.next().to_string(), "2027-Q1");
        assert_eq!(q1.prev().to_string(), "2023-Q4");
        assert_eq!(q4.last_month(), 12);
    }

    #[test]
    fn a_date_belongs_to_exactly_one_quarter() {
        assert_eq!(Quarter::of(d(2026, 3, 31)).to_string(), "2026-Q1");
        assert_eq!(Quarter::of(d(2026, 4, 1)).to_string(), "2026-Q2");
        assert_eq!(Quarter::of(d(2026, 9, 30)).to_string(), "2026-Q3");
        assert_eq!(Quarter::of(d(2026, 10, 1)).to_string(), "2026-Q4");
        assert!("2026-Q2"
            .parse::<Quarter>()
            .unwrap()
            .contains(d(2026, 6, 30)));
        assert!(!"2026-Q2"
            .parse::<Quarter>()
            .unwrap()
            .contains(d(2026, 7, 1)));
    }

    #[test]
    fn periods_are_months_quarters_years_or_ranges() {
        let p = |s: &str| s.parse::<Period>().map(|p| (p.from, p.to));
        assert_eq!(p("2026-02"), Ok((d(2026, 2, 1), d(2026, 2, 28))));
        assert_eq!(
            p("2028-02"),
            Ok((d(2028, 2, 1), d(2028, 2, 29))),
            "a leap February"
        );
        assert_eq!(p("2026-12"), Ok((d(2026, 12, 1), d(2026, 12, 31))));
        assert_eq!(p("2026-Q3"), Ok((d(2026, 7, 1), d(2026, 9, 30))));
        assert_eq!(p("2026"), Ok((d(2026, 1, 1), d(2026, 12, 31))));
        assert_eq!(
            p("2026-07-15..2026-08-14"),
            Ok((d(2026, 7, 15), d(2026, 8, 14)))
        );
        assert_eq!(
            p("2028-01-01..2028-12-31"),
            Ok((d(2028, 1, 1), d(2028, 12, 31))),
            "366 days"
        );
        for bad in [
            "2026-13",
            "2026-7",
            "26-07",
            "1999",
            "2026-Q5",
            "2026-08-01..2026-07-01",
            "2026-01-01..2027-01-02",
            "2026-07-01..",
            "",
            "2026-07-1..2026-08-01",
        ] {
            assert_eq!(bad.parse::<Period>(), Err(BadPeriod), "{bad}");
        }
    }

    #[test]
    fn reports_are_due_on_the_20th_and_22nd_and_late_from_the_day_after() {
        let cal = WorkCalendar::default();
        let due = monthly_report_due(d(2026, 7, 1), 20, &cal, DayCount::Calendar);
        assert_eq!(due, d(2026, 8, 20));
        assert_eq!(days_late(due, d(2026, 8, 20)), 0);
        assert_eq!(days_late(due, d(2026, 8, 21)), 1);
        assert_eq!(days_late(due, d(2026, 8, 1)), 0);
        // December's statistics are due in January of the next year.
        assert_eq!(
            monthly_report_due(d(2026, 12, 1), 20, &cal, DayCount::Calendar),
            d(2027, 1, 20)
        );
        // Day 31 of a short month is its last day.
        assert_eq!(
            monthly_report_due(d(2028, 1, 1), 31, &cal, DayCount::Calendar),
            d(2028, 2, 29)
        );
        let q3: Quarter = "2026-Q3".parse().unwrap();
        assert_eq!(
            due_in_last_month(q3, 22, &cal, DayCount::Calendar),
            d(2026, 9, 22)
        );
    }

    #[test]
    fn working_day_deadlines_skip_weekends_and_holidays_and_count_make_up_days() {
        // 2026-10-01 (Thu) to 10-08 (Thu): the National Day holiday; Sun 09-27 and Sat 10-10
        // are make-up working days.
        let mut cal = WorkCalendar::default();
        for day in 1..=8 {
            cal.holidays.insert(d(2026, 10, day));
        }
        cal.workdays.insert(d(2026, 9, 27));
        cal.workdays.insert(d(2026, 10, 10));
        assert!(cal.is_working(d(2026, 9, 27)), "a make-up Sunday");
        assert!(!cal.is_working(d(2026, 10, 5)), "a holiday Monday");
        assert!(!cal.is_working(d(2026, 10, 11)), "an ordinary Sunday");
        // Three working days after Wed 09-30: 10-09 (Fri), 10-10 (make-up Sat), 10-12 (Mon).
        assert_eq!(
            cal.add(d(2026, 9, 30), 3, DayCount::Working),
            d(2026, 10, 12)
        );
        assert_eq!(
            cal.add(d(2026, 9, 30), 3, DayCount::Calendar),
            d(2026, 10, 3)
        );
        // A "by day N" deadline on a holiday moves to the next working day.
        assert_eq!(cal.roll(d(2026, 10, 3), DayCount::Working), d(2026, 10, 9));
        assert_eq!(cal.roll(d(2026, 10, 3), DayCount::Calendar), d(2026, 10, 3));
        let sept_due = monthly_report_due(d(2026, 9, 1), 2, &cal, DayCount::Working);
        assert_eq!(sept_due, d(2026, 10, 9));
        // Sat 2026-06-20 rolls to Mon 06-22.
        assert_eq!(
            monthly_report_due(d(2026, 5, 1), 20, &cal, DayCount::Working),
            d(2026, 6, 22)
        );
    }

    #[test]
    fn local_dates_are_shanghai_dates() {
        // 15:59:59 UTC is 23:59:59 in Shanghai: still the same day.
        let before = DateTime::parse_from_rfc3339("2026-03-31T15:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_date(before), d(2026, 3, 31));
        // 16:00 UTC is midnight in Shanghai: the next day, and here the next quarter.
        let after = DateTime::parse_from_rfc3339("2026-03-31T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_date(after), d(2026, 4, 1));
        assert_eq!(Quarter::of(local_date(after)).to_string(), "2026-Q2");
    }
}
