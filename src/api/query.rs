//! Parsing query parameters into typed values, collecting every refusal so that one 400 names
//! all the parameters at fault.

use std::str::FromStr;

use crate::api::pagination::{decode_cursor, parse_limit, DEFAULT_LIMIT};
use crate::domain::calendar::Quarter;
use crate::domain::UnknownValue;
use crate::error::{AppError, FieldIssue};

/// Collects parameter refusals.
#[derive(Default)]
pub struct Params {
    issues: Vec<FieldIssue>,
}

impl Params {
    /// One of a text enum's values.
    pub fn enumeration<T: FromStr<Err = UnknownValue>>(
        &mut self,
        field: &str,
        raw: Option<&str>,
    ) -> Option<T> {
        let raw = raw?;
        T::from_str(raw)
            .map_err(|e| {
                self.issues.push(FieldIssue::new(
                    field,
                    "invalid_enum",
                    format!("须为以下之一：{}", e.expected),
                    format!("must be one of: {}", e.expected),
                ))
            })
            .ok()
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, field: &str, raw: Option<&str>) -> Option<bool> {
        match raw? {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.issues.push(FieldIssue::new(
                    field,
                    "invalid_boolean",
                    "须为 true 或 false",
                    "must be true or false",
                ));
                None
            }
        }
    }

    /// A quarter like `2026-Q3`.
    pub fn quarter(&mut self, field: &str, raw: Option<&str>) -> Option<Quarter> {
        raw?.parse::<Quarter>()
            .map_err(|_| self.issues.push(quarter_issue(field)))
            .ok()
    }

    /// A required period: a month `2026-07`, a quarter `2026-Q3`, a year `2026` or a range
    /// `2026-07-01..2026-09-30` of at most 366 days.
    pub fn period(
        &mut self,
        field: &str,
        raw: Option<&str>,
    ) -> Option<crate::domain::calendar::Period> {
        match raw.map(str::parse::<crate::domain::calendar::Period>) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                self.issues.push(FieldIssue::new(
                    field,
                    "invalid_period",
                    "须为月份 2026-07、季度 2026-Q3、年份 2026 或 2026-07-01..2026-09-30（不超过 366 天）",
                    e.to_string(),
                ));
                None
            }
            None => {
                self.issues.push(FieldIssue::new(
                    field,
                    "required",
                    "须指定期间",
                    "the period is required",
                ));
                None
            }
        }
    }

    /// A UUID, in its canonical (lower-case, hyphenated) form.
    pub fn uuid(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        uuid::Uuid::parse_str(raw?)
            .map(|u| u.to_string())
            .map_err(|_| {
                self.issues.push(FieldIssue::new(
                    field,
                    "invalid_uuid",
                    "须为 UUID",
                    "must be a UUID",
                ))
            })
            .ok()
    }

    /// `limit` (default 50, 1–`max`, `FRONTLINE_LIST_LIMIT_MAX`) and the key after which the
    /// page starts (from `cursor`).
    pub fn page(
        &mut self,
        limit: Option<&str>,
        cursor: Option<&str>,
        max: i64,
    ) -> (i64, Option<String>) {
        let limit = parse_limit(limit, max)
            .map_err(|e| self.issues.push(e))
            .unwrap_or(DEFAULT_LIMIT.min(max));
        let after = cursor.and_then(|c| decode_cursor(c).map_err(|e| self.issues.push(e)).ok());
        (limit, after)
    }

    /// Records another refusal.
    pub fn refuse(&mut self, issue: FieldIssue) {
        self.issues.push(issue);
    }

    /// `Ok` when nothing was refused, else the 400 naming every parameter at fault.
    pub fn finish(self) -> Result<(), AppError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidParameters(self.issues))
        }
    }
}

/// A year from 2000 to 2099 given as a path or query parameter `year` (400 otherwise).
pub fn parse_year(raw: &str) -> Result<i32, AppError> {
    raw.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2099).contains(y))
        .ok_or_else(|| {
            AppError::invalid_parameter(
                "year",
                "out_of_range",
                "须为 2000 到 2099 的年份",
                "a year from 2000 to 2099",
            )
        })
}

/// The refusal of a value that is not a quarter.
pub fn quarter_issue(field: &str) -> FieldIssue {
    FieldIssue::new(
        field,
        "invalid_quarter",
        "须为季度，如 2026-Q3",
        "a quarter like 2026-Q3",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::unit::Category;

    #[test]
    fn every_refusal_is_kept_in_order() {
        let mut p = Params::default();
        assert_eq!(
            p.enumeration::<Category>("category", Some("policy_making")),
            Some(Category::PolicyMaking)
        );
        assert_eq!(p.enumeration::<Category>("category", Some("nope")), None);
        assert_eq!(p.boolean("active", Some("yes")), None);
        assert_eq!(p.boolean("active", None), None);
        assert_eq!(p.page(Some("0"), None, 200), (DEFAULT_LIMIT, None));
        let Err(AppError::InvalidParameters(issues)) = p.finish() else {
            panic!()
        };
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["category", "active", "limit"]);
        assert!(Params::default().finish().is_ok());
    }
}
