//! Coverage of a unit's catalogue within a year (R2): which matters were experienced, when, and
//! the share covered. "Experienced" means named by a counted participation dated in the year.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One matter's coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MatterCoverage {
    /// The matter.
    #[schema(format = Uuid)]
    pub matter_id: String,
    /// Its name.
    pub name: String,
    /// Whether it was experienced in the year.
    pub experienced: bool,
    /// The first local date it was experienced in the year.
    pub first_on: Option<NaiveDate>,
    /// The last local date it was experienced in the year.
    pub last_on: Option<NaiveDate>,
    /// How many counted participations named it in the year.
    pub times: u32,
}

/// A unit's coverage for a year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coverage {
    /// The year.
    pub year: i32,
    /// Every active matter, in the catalogue's order.
    pub matters: Vec<MatterCoverage>,
    /// Matters experienced.
    pub covered: u32,
    /// Active matters.
    pub total: u32,
    /// covered / total, 0 to 1 (1 when the unit has no matter).
    pub share: f64,
}

/// Computes coverage of `matters` (id, name) from `experiences` (matter id, local date): only
/// dates inside `year` count.
pub fn coverage(
    year: i32,
    matters: &[(String, String)],
    experiences: &[(String, NaiveDate)],
) -> Coverage {
    let mut seen: HashMap<&str, (NaiveDate, NaiveDate, u32)> = HashMap::new();
    for (matter, date) in experiences.iter().filter(|(_, d)| d.year() == year) {
        let e = seen.entry(matter.as_str()).or_insert((*date, *date, 0));
        e.0 = e.0.min(*date);
        e.1 = e.1.max(*date);
        e.2 += 1;
    }
    let items: Vec<MatterCoverage> = matters
        .iter()
        .map(|(id, name)| {
            let s = seen.get(id.as_str());
            MatterCoverage {
                matter_id: id.clone(),
                name: name.clone(),
                experienced: s.is_some(),
                first_on: s.map(|s| s.0),
                last_on: s.map(|s| s.1),
                times: s.map(|s| s.2).unwrap_or(0),
            }
        })
        .collect();
    let covered = items.iter().filter(|m| m.experienced).count() as u32;
    let total = items.len() as u32;
    Coverage {
        year,
        matters: items,
        covered,
        total,
        share: if total == 0 {
            1.0
        } else {
            f64::from(covered) / f64::from(total)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn only_the_years_experiences_count() {
        let matters = vec![
            ("a".to_string(), "甲".to_string()),
            ("b".into(), "乙".into()),
            ("c".into(), "丙".into()),
        ];
        let exp = vec![
            ("a".to_string(), d(2026, 1, 1)),
            ("a".into(), d(2026, 12, 31)),
            ("a".into(), d(2026, 6, 1)),
            ("b".into(), d(2025, 12, 31)),
            ("c".into(), d(2027, 1, 1)),
            ("zz".into(), d(2026, 3, 1)),
        ];
        let c = coverage(2026, &matters, &exp);
        assert_eq!((c.covered, c.total), (1, 3));
        assert!((c.share - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(c.matters[0].first_on, Some(d(2026, 1, 1)));
        assert_eq!(c.matters[0].last_on, Some(d(2026, 12, 31)));
        assert_eq!(c.matters[0].times, 3);
        assert!(!c.matters[1].experienced && !c.matters[2].experienced);
    }

    #[test]
    fn an_empty_catalogue_is_fully_covered() {
        let c = coverage(2026, &[], &[]);
        assert_eq!((c.covered, c.total, c.share), (0, 0, 1.0));
    }
}
