//! Service records (办件/咨询记录): the people a unit served, from whom follow-up calls (W3) are
//! drawn. Phone numbers are personal information: checked, masked for everyone but the unit
//! that served the person, and purged after the retention period.

use chrono::{Datelike, Months, NaiveDate};

crate::text_enum! {
    /// Why the person came.
    pub enum ServiceKind {
        /// 咨询.
        Consultation => "consultation",
        /// 办件 (an application).
        Application => "application",
    }
}

/// Normalizes a phone number: digits only, after dropping spaces, hyphens and a leading +86 /
/// 0086. Accepts a mainland mobile number (11 digits, 1[3-9]…) or a fixed-line number of 7 to
/// 12 digits (area code included).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let mut digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    if let Some(rest) = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
    {
        digits = rest.to_owned();
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mobile = digits.len() == 11
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    let fixed = (7..=12).contains(&digits.len()) && !digits.starts_with('1');
    (mobile || fixed).then_some(digits)
}

/// Masks a phone number for people who may not see it: at least four digits are always hidden.
/// An 11-digit number keeps its first three and last four (`138****1234`); a shorter one keeps
/// only its last four, or fewer (`****4321`, `****321` for 7 digits).
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    let n = digits.len();
    let (head, tail) = if n >= 11 {
        (3, 4)
    } else {
        (0, n.saturating_sub(4).min(4))
    };
    let hidden = n - head - tail;
    let mut out: String = digits[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&digits[n - tail..]);
    out
}

/// The first day of the "past 3 months" before `date` (R5): the same day number three months
/// earlier, clamped to that month's end (05-31 → 02-28 or 02-29).
pub fn three_months_before(date: NaiveDate) -> NaiveDate {
    date.checked_sub_months(Months::new(3))
        .unwrap_or(NaiveDate::MIN)
}

/// Records served before this date have passed the retention period on `today`.
pub fn retention_cutoff(today: NaiveDate, retention_days: u32) -> NaiveDate {
    today - chrono::Duration::days(i64::from(retention_days))
}

/// Whether a date is plausible for a service record (not before 2000, not after `today`).
pub fn plausible_service_date(date: NaiveDate, today: NaiveDate) -> bool {
    date.year() >= 2000 && date <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn phones_are_normalized_or_refused() {
        assert_eq!(
            normalize_phone("138 0013 8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalize_phone("+86-138-0013-8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalize_phone("029-87654321").as_deref(),
            Some("02987654321")
        );
        assert_eq!(normalize_phone("12800138000"), None, "no 12x mobile prefix");
        assert_eq!(normalize_phone("1380013800"), None, "10 digits");
        assert_eq!(normalize_phone("abc"), None);
        assert_eq!(normalize_phone(""), None);
    }

    #[test]
    fn masks_keep_three_and_four() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("02987654321"), "029****4321");
        assert_eq!(mask_phone("87654321"), "****4321");
        assert_eq!(mask_phone("8765432"), "****432");
        assert_eq!(mask_phone("0298765432"), "******5432");
        for p in [
            "13800138000",
            "02987654321",
            "87654321",
            "8765432",
            "0298765432",
        ] {
            assert!(mask_phone(p).matches('*').count() >= 4, "{p}");
        }
    }

    #[test]
    fn three_months_back_clamps_to_the_month_end() {
        assert_eq!(three_months_before(d(2026, 5, 31)), d(2026, 2, 28));
        assert_eq!(three_months_before(d(2024, 5, 31)), d(2024, 2, 29));
        assert_eq!(three_months_before(d(2026, 3, 15)), d(2025, 12, 15));
        assert_eq!(three_months_before(d(2026, 7, 31)), d(2026, 4, 30));
    }

    #[test]
    fn retention_counts_days_back_from_today() {
        assert_eq!(retention_cutoff(d(2026, 11, 28), 365), d(2025, 11, 28));
        assert!(plausible_service_date(d(2026, 11, 28), d(2026, 11, 28)));
        assert!(!plausible_service_date(d(2026, 11, 29), d(2026, 11, 28)));
        assert!(!plausible_service_date(d(1999, 12, 31), d(2026, 11, 28)));
    }
}
