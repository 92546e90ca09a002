//! Authorization in one place: a function per permission, called first in each handler
//! (DOMAIN.md "Actors and roles"). Each returns `Ok(())` or the 403 to answer.

use crate::domain::account::Role;
use crate::domain::unit::Activity;
use crate::error::AppError;

use super::AuthUser;

fn allow(ok: bool) -> Result<(), AppError> {
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden { code: "role" })
    }
}

/// Create, change and deactivate accounts: admin.
pub fn manage_users(user: &AuthUser) -> Result<(), AppError> {
    allow(user.role == Role::Admin)
}

/// Read the account list: admin and coordinator.
pub fn read_users(user: &AuthUser) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Admin | Role::Coordinator))
}

/// Read one account: admin, coordinator, or the account itself.
pub fn read_user(user: &AuthUser, user_id: &str) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Admin | Role::Coordinator) || user.id == user_id)
}

/// Create and change units: admin and coordinator.
pub fn write_units(user: &AuthUser) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Admin | Role::Coordinator))
}

/// Read the audit log: admin and coordinator.
pub fn read_audit(user: &AuthUser) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Admin | Role::Coordinator))
}

/// Read a record of `unit_id` from `activity`: coordinator, leader and admin read everything;
/// a lead reads every unit's records of its activity; a unit reads its own.
pub fn read_unit_record(
    user: &AuthUser,
    unit_id: &str,
    activity: Option<Activity>,
) -> Result<(), AppError> {
    match user.role {
        Role::Admin | Role::Coordinator | Role::Leader => Ok(()),
        Role::Lead if activity.is_some() && activity == user.lead_activity => Ok(()),
        Role::Lead | Role::Unit if user.unit_id.as_deref() == Some(unit_id) => Ok(()),
        _ => Err(AppError::Forbidden { code: "unit" }),
    }
}

/// Write a record of `unit_id` in `activity`: a unit writes its own; a lead acts on every
/// unit's records of its activity; nobody else writes a unit's records.
pub fn write_unit_record(
    user: &AuthUser,
    unit_id: &str,
    activity: Option<Activity>,
) -> Result<(), AppError> {
    match user.role {
        Role::Lead if activity.is_some() && activity == user.lead_activity => Ok(()),
        Role::Unit | Role::Lead if user.unit_id.as_deref() == Some(unit_id) => Ok(()),
        Role::Unit | Role::Lead => Err(AppError::Forbidden { code: "unit" }),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, unit: Option<&str>, activity: Option<Activity>) -> AuthUser {
        AuthUser {
            id: "u".into(),
            username: "u".into(),
            role,
            unit_id: unit.map(str::to_owned),
            lead_activity: activity,
            session_id: "s".into(),
            must_change_password: false,
        }
    }

    #[test]
    fn only_admins_manage_accounts_and_coordinators_read_them() {
        for role in Role::ALL {
            let u = user(
                *role,
                Some("x"),
                (*role == Role::Lead).then_some(Activity::Window),
            );
            assert_eq!(manage_users(&u).is_ok(), *role == Role::Admin, "{role}");
            assert_eq!(
                read_users(&u).is_ok(),
                matches!(role, Role::Admin | Role::Coordinator),
                "{role}"
            );
            assert_eq!(
                write_units(&u).is_ok(),
                matches!(role, Role::Admin | Role::Coordinator),
                "{role}"
            );
            assert_eq!(
                read_audit(&u).is_ok(),
                matches!(role, Role::Admin | Role::Coordinator),
                "{role}"
            );
            assert!(
                read_user(&u, "u").is_ok(),
                "everyone reads their own account"
            );
        }
    }

    #[test]
    fn a_unit_reads_and_writes_only_its_own_records() {
        let u = user(Role::Unit, Some("a"), None);
        assert!(read_unit_record(&u, "a", Some(Activity::Window)).is_ok());
        assert!(read_unit_record(&u, "b", Some(Activity::Window)).is_err());
        assert!(write_unit_record(&u, "a", Some(Activity::Window)).is_ok());
        assert!(matches!(
            write_unit_record(&u, "b", None),
            Err(AppError::Forbidden { code: "unit" })
        ));
    }

    #[test]
    fn a_lead_acts_on_every_units_records_of_its_activity_only() {
        let lead = user(Role::Lead, Some("l"), Some(Activity::Enforcement));
        assert!(read_unit_record(&lead, "b", Some(Activity::Enforcement)).is_ok());
        assert!(write_unit_record(&lead, "b", Some(Activity::Enforcement)).is_ok());
        assert!(read_unit_record(&lead, "b", Some(Activity::Window)).is_err());
        assert!(write_unit_record(&lead, "b", Some(Activity::Window)).is_err());
        assert!(
            write_unit_record(&lead, "l", Some(Activity::Window)).is_ok(),
            "its own unit's records"
        );
    }

    #[test]
    fn coordinators_and_leaders_read_everything_and_write_no_units_records() {
        for role in [Role::Coordinator, Role::Leader, Role::Admin] {
            let u = user(role, Some("c"), None);
            assert!(read_unit_record(&u, "any", Some(Activity::Complaint)).is_ok());
            assert!(matches!(
                write_unit_record(&u, "any", None),
                Err(AppError::Forbidden { code: "role" })
            ));
        }
    }
}
