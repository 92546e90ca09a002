//! Accounts: roles (DOMAIN.md "Actors and roles") and the password policy.

use serde::{Deserialize, Serialize};

use super::unit::Activity;

crate::text_enum! {
    /// What an account may do.
    pub enum Role {
        /// Manages accounts and units.
        Admin => "admin",
        /// 区营商办: reads everything, reviews plans, inspects, runs assessment.
        Coordinator => "coordinator",
        /// 区政府领导: approves plans.
        Leader => "leader",
        /// A lead department of one activity (`lead_activity`): reads and acts on all units'
        /// records of that activity.
        Lead => "lead",
        /// A participating unit: reads and writes only its own unit's records.
        Unit => "unit",
    }
}

impl Role {
    /// Whether an account of this role must belong to a unit.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Lead | Role::Unit | Role::Coordinator)
    }
}

/// Checks that a role, its unit and its activity fit together: a lead names its activity and
/// nobody else does; leads, units and coordinators belong to a unit.
pub fn role_shape_issues(
    role: Role,
    has_unit: bool,
    activity: Option<Activity>,
) -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    let mut issues = Vec::new();
    if role.needs_unit() && !has_unit {
        issues.push((
            "unit_id",
            "required",
            "该角色须属于一个单位",
            "this role belongs to a unit",
        ));
    }
    match (role, activity) {
        (Role::Lead, None) => issues.push((
            "lead_activity",
            "required",
            "牵头部门须指明其活动",
            "a lead names its activity",
        )),
        (Role::Lead, Some(_)) | (_, None) => {}
        (_, Some(_)) => issues.push((
            "lead_activity",
            "not_allowed",
            "只有牵头部门有活动",
            "only a lead has an activity",
        )),
    }
    issues
}

/// The password policy; every number is a setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters (default 10).
    pub min_length: usize,
    /// Fewest character classes out of lower case, upper case, digits and others (default 3).
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 10,
            min_classes: 3,
        }
    }
}

/// Why a password was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordFault {
    /// Fewer characters than the policy's minimum.
    TooShort,
    /// Fewer character classes than the policy's minimum.
    TooFewClasses,
    /// It is, or contains, the username.
    ContainsUsername,
    /// More than 128 characters.
    TooLong,
}

impl PasswordPolicy {
    /// Checks `password` for the account `username`.
    pub fn check(&self, username: &str, password: &str) -> Result<(), PasswordFault> {
        let n = password.chars().count();
        if n > 128 {
            return Err(PasswordFault::TooLong);
        }
        if n < self.min_length {
            return Err(PasswordFault::TooShort);
        }
        let classes = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|has| **has)
        .count();
        if classes < self.min_classes {
            return Err(PasswordFault::TooFewClasses);
        }
        let user = username.trim().to_lowercase();
        if !user.is_empty() && password.to_lowercase().contains(&user) {
            return Err(PasswordFault::ContainsUsername);
        }
        Ok(())
    }
}

/// The key a per-client limit counts by: the client's address, or for IPv6 its /64 network
/// (one client usually holds a whole /64); "unknown" without a readable address.
pub fn client_key(addr: Option<&str>) -> String {
    match addr.map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V6(v6))) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Some(Ok(ip)) => ip.to_string(),
        _ => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_its_address_or_its_ipv6_network() {
        assert_eq!(client_key(Some("10.0.0.8")), "10.0.0.8");
        assert_eq!(
            client_key(Some("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            client_key(Some("2001:db8:1:2:bbbb::9")),
            client_key(Some("2001:db8:1:2::5"))
        );
        assert_ne!(
            client_key(Some("2001:db8:1:3::1")),
            client_key(Some("2001:db8:1:2::1"))
        );
        assert_eq!(client_key(None), "unknown");
        assert_eq!(client_key(Some("not an address")), "unknown");
    }

    #[test]
    fn the_policy_edges() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("zhang", "Abcdefgh1"), Err(PasswordFault::TooShort)); // 9 characters
        assert_eq!(p.check("zhang", "Abcdefgh12"), Ok(())); // 10 characters, 3 classes
        assert_eq!(
            p.check("zhang", "abcdefgh12"),
            Err(PasswordFault::TooFewClasses)
        );
        assert_eq!(p.check("zhang", "abcdefgh1!"), Ok(()));
        assert_eq!(
            p.check("zhang", "xZHANG-2026"),
            Err(PasswordFault::ContainsUsername)
        );
        assert_eq!(
            p.check("zhang", &"Aa1!".repeat(33)),
            Err(PasswordFault::TooLong)
        );
        let lax = PasswordPolicy {
            min_length: 4,
            min_classes: 1,
        };
        assert_eq!(lax.check("u", "abud"), Err(PasswordFault::ContainsUsername));
        assert_eq!(lax.check("x", "abcd"), Ok(()));
    }

    #[test]
    fn a_lead_names_its_activity_and_belongs_to_a_unit() {
        assert!(role_shape_issues(Role::Lead, true, Some(Activity::Window)).is_empty());
        assert_eq!(
            role_shape_issues(Role::Lead, true, None)[0].0,
            "lead_activity"
        );
        assert_eq!(role_shape_issues(Role::Unit, false, None)[0].0, "unit_id");
        assert_eq!(
            role_shape_issues(Role::Admin, false, Some(Activity::Window))[0].1,
            "not_allowed"
        );
        assert!(role_shape_issues(Role::Admin, false, None).is_empty());
        assert!(role_shape_issues(Role::Leader, false, None).is_empty());
    }
}

/// An account as shown (never with its password hash).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0190b7e2-8c1a-7cc3-9a51-2f2e3d4c5b6a", "username": "sfj.clerk", "display_name": "司法局 李四",
    "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "role": "lead", "lead_activity": "enforcement",
    "active": true, "must_change_password": false, "locked_until": null,
    "password_changed_at": "2026-11-28T05:00:00Z", "created_at": "2026-11-28T05:00:00Z",
    "updated_at": "2026-11-28T05:00:00Z", "version": 1
}))]
pub struct User {
    /// Its id (UUIDv7).
    #[schema(format = Uuid)]
    pub id: String,
    /// Unique sign-in name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// The unit the account acts for (none for admin and leader accounts).
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    /// What it may do.
    pub role: Role,
    /// For a lead: the activity it leads.
    pub lead_activity: Option<Activity>,
    /// Inactive accounts cannot sign in; their tokens are refused.
    pub active: bool,
    /// A generated password must be changed before anything else.
    pub must_change_password: bool,
    /// Locked after repeated failed sign-ins until this time.
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
    /// When the password was last set.
    pub password_changed_at: chrono::DateTime<chrono::Utc>,
    /// Created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Increases with each change; the `ETag`.
    pub version: i64,
}

/// Whether an account with `failures` failed sign-ins inside the window is to be locked.
pub fn should_lock(failures: i64, max_failures: u32) -> bool {
    failures >= i64::from(max_failures)
}

#[cfg(test)]
mod lock_tests {
    #[test]
    fn the_fifth_failure_locks() {
        assert!(!super::should_lock(4, 5));
        assert!(super::should_lock(5, 5));
        assert!(super::should_lock(6, 5));
    }
}
