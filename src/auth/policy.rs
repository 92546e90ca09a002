//! Authorization in one place: a function per permission, called first in each handler
//! (DOMAIN.md "Actors and roles"). Each returns `Ok(())` or the 403 to answer.

use crate::domain::account::Role;
use crate::domain::api_key::Scope;
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

/// Create, list and revoke API keys: admin.
pub fn manage_api_keys(user: &AuthUser) -> Result<(), AppError> {
    allow(user.role == Role::Admin && user.key.is_none())
}

/// End a WeChat binding: one's own; another account's only as an admin who has set their own
/// password.
pub fn end_wechat_binding(user: &AuthUser, account: &str) -> Result<(), AppError> {
    allow(account == user.id || (user.role == Role::Admin && !user.must_change_password))
}

/// Import past records: the coordinator and admins, signed in (not a key).
pub fn import_records(user: &AuthUser) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Admin | Role::Coordinator) && user.key.is_none())
}

/// Make, change and remove webhooks and read their deliveries: admin, signed in (not a key).
pub fn manage_webhooks(user: &AuthUser) -> Result<(), AppError> {
    allow(user.role == Role::Admin && user.key.is_none())
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

/// Read catalogues (matters, coverage): every signed-in account; they hold no personal data.
pub fn read_catalogue(_user: &AuthUser) -> Result<(), AppError> {
    Ok(())
}

/// Manage a unit's catalogue and service records: the coordinator for any unit; a unit or lead
/// account for its own unit.
pub fn manage_unit_data(user: &AuthUser, unit_id: &str) -> Result<(), AppError> {
    match user.role {
        Role::Coordinator => Ok(()),
        Role::Unit | Role::Lead if user.unit_id.as_deref() == Some(unit_id) => Ok(()),
        Role::Unit | Role::Lead => Err(AppError::Forbidden { code: "unit" }),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Whether the caller sees a unit's phone numbers unmasked: only that unit's own accounts.
pub fn sees_phones(user: &AuthUser, unit_id: &str) -> bool {
    matches!(user.role, Role::Unit | Role::Lead) && user.unit_id.as_deref() == Some(unit_id)
}

/// Make a draw for `unit_id` (if any) in `activity`: the coordinator, or whoever writes that
/// unit's records of the activity.
pub fn make_draw(
    user: &AuthUser,
    unit_id: Option<&str>,
    activity: Activity,
) -> Result<(), AppError> {
    match (user.role, unit_id) {
        (Role::Coordinator, _) => Ok(()),
        (Role::Lead, _) if user.lead_activity == Some(activity) => Ok(()),
        (_, Some(unit)) => write_unit_record(user, unit, Some(activity)),
        (_, None) => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Read a draw: a unit's draws like that unit's records of the activity; a draw without a unit
/// (inspection targets, 双随机) only by the coordinator, leaders, admins and the activity's lead,
/// so that nobody inspected learns the targets early.
pub fn read_draw(
    user: &AuthUser,
    unit_id: Option<&str>,
    activity: Activity,
) -> Result<(), AppError> {
    match unit_id {
        Some(unit) => read_unit_record(user, unit, Some(activity)),
        None => allow(
            matches!(user.role, Role::Coordinator | Role::Leader | Role::Admin)
                || (user.role == Role::Lead && user.lead_activity == Some(activity)),
        ),
    }
}

/// Draft and edit the schedule of `activity`: its lead only.
pub fn draft_schedule(user: &AuthUser, activity: Activity) -> Result<(), AppError> {
    allow(user.role == Role::Lead && user.lead_activity == Some(activity))
}

/// Which entries of a schedule the caller reads: a unit account only its own unit's; everyone
/// else all of them.
pub fn schedule_entry_scope(user: &AuthUser) -> Option<&str> {
    match user.role {
        Role::Unit => Some(user.unit_id.as_deref().unwrap_or("")),
        _ => None,
    }
}

/// Record an immediate trigger for `unit_id`: the coordinator, any lead, or the unit itself.
pub fn raise_trigger(user: &AuthUser, unit_id: &str) -> Result<(), AppError> {
    match user.role {
        Role::Coordinator | Role::Lead => Ok(()),
        Role::Unit if user.unit_id.as_deref() == Some(unit_id) => Ok(()),
        Role::Unit => Err(AppError::Forbidden { code: "unit" }),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Record a tracking subject: the coordinator and the leads.
pub fn define_tracking(user: &AuthUser) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Coordinator | Role::Lead))
}

/// Act as a unit on its own records (write and file participations; plan, extend and resolve
/// ledger issues; send issue lists): that unit's own accounts only. The head's record is the
/// unit's, filed with the lead department, not written by it.
pub fn act_as_unit(user: &AuthUser, unit_id: &str) -> Result<(), AppError> {
    match user.role {
        Role::Unit | Role::Lead if user.unit_id.as_deref() == Some(unit_id) => Ok(()),
        Role::Unit | Role::Lead => Err(AppError::Forbidden { code: "unit" }),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Accept or return a filed participation of `unit_id` in `activity` (备案): the lead of that
/// activity; a record of the lead department itself goes to the coordinator, so that nobody
/// accepts their own unit's record.
pub fn review_participation(
    user: &AuthUser,
    unit_id: &str,
    activity: Activity,
    unit_leads_activity: bool,
) -> Result<(), AppError> {
    let lead = user.role == Role::Lead && user.lead_activity == Some(activity);
    let own = user.unit_id.as_deref() == Some(unit_id);
    match user.role {
        Role::Coordinator if unit_leads_activity => Ok(()),
        _ if lead && own => Err(AppError::Forbidden { code: "own_record" }),
        _ if lead => Ok(()),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Append a note to a participation of `unit_id` in `activity`: the unit's own accounts, the
/// activity's lead, and the coordinator.
pub fn annotate_participation(
    user: &AuthUser,
    unit_id: &str,
    activity: Activity,
) -> Result<(), AppError> {
    match user.role {
        Role::Coordinator => Ok(()),
        Role::Lead if user.lead_activity == Some(activity) => Ok(()),
        _ => act_as_unit(user, unit_id),
    }
}

/// Open a ledger issue for `unit_id` by hand: the unit's own accounts, the coordinator, and the
/// lead of the issue's activity.
pub fn open_issue(
    user: &AuthUser,
    unit_id: &str,
    activity: Option<Activity>,
) -> Result<(), AppError> {
    match user.role {
        Role::Coordinator => Ok(()),
        Role::Lead if activity.is_some() && user.lead_activity == activity => Ok(()),
        _ => act_as_unit(user, unit_id),
    }
}

/// Review an issue of `unit_id` in `activity` (reject, close, re-check): the coordinator, or
/// the lead of the activity for another unit's issue; nobody reviews their own unit's.
pub fn review_issue(
    user: &AuthUser,
    unit_id: &str,
    activity: Option<Activity>,
) -> Result<(), AppError> {
    let lead = user.role == Role::Lead && activity.is_some() && user.lead_activity == activity;
    match user.role {
        Role::Coordinator => Ok(()),
        _ if lead && user.unit_id.as_deref() == Some(unit_id) => {
            Err(AppError::Forbidden { code: "own_record" })
        }
        _ if lead => Ok(()),
        Role::Unit if user.unit_id.as_deref() == Some(unit_id) => {
            Err(AppError::Forbidden { code: "own_record" })
        }
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Withdraw a mistaken issue: the coordinator.
pub fn withdraw_issue(user: &AuthUser) -> Result<(), AppError> {
    allow(user.role == Role::Coordinator)
}

/// Submit a report: a lead its activity's monthly figures and quarterly summary (`district`
/// false), the coordinator the district's quarterly report (`district` true); the activity the
/// report is of (none for the district's).
pub fn submit_report(user: &AuthUser, district: bool) -> Result<Option<Activity>, AppError> {
    match (user.role, district) {
        (Role::Coordinator, true) => Ok(None),
        (Role::Lead, false) if user.lead_activity.is_some() => Ok(user.lead_activity),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Which reports a caller reads: `None` for all (coordinator, leader, admin); a lead those of
/// its activity and the district's (`None` in the list); unit accounts none.
pub fn report_scope(user: &AuthUser) -> Result<Option<Vec<Option<String>>>, AppError> {
    match user.role {
        Role::Admin | Role::Coordinator | Role::Leader => Ok(None),
        Role::Lead => Ok(Some(vec![
            user.lead_activity.map(|a| a.as_str().to_owned()),
            None,
        ])),
        Role::Unit => Err(AppError::Forbidden { code: "role" }),
    }
}

/// Which statistics a caller sees: (only this activity, only this unit): a lead its activity, a
/// unit account its unit, everyone else all.
pub fn stats_scope(user: &AuthUser) -> (Option<Activity>, Option<String>) {
    if user.has_scope(Scope::StatsRead) {
        return (None, None);
    }
    match user.role {
        Role::Admin | Role::Coordinator | Role::Leader => (None, None),
        Role::Lead => (user.lead_activity, None),
        Role::Unit => (None, Some(user.unit_id.clone().unwrap_or_default())),
    }
}

/// Draft and publish bulletins (通报): the coordinator.
pub fn manage_bulletins(user: &AuthUser) -> Result<(), AppError> {
    allow(user.role == Role::Coordinator)
}

/// Whether a caller sees draft bulletins: the coordinator, leaders and admins.
pub fn sees_draft_bulletins(user: &AuthUser) -> bool {
    matches!(user.role, Role::Coordinator | Role::Leader | Role::Admin)
}

/// Maintain the working calendar: admin and coordinator.
pub fn manage_calendar(user: &AuthUser) -> Result<(), AppError> {
    allow(matches!(user.role, Role::Admin | Role::Coordinator))
}

/// Which participations a caller lists: `None` for all (coordinator, leader, admin); for a
/// lead those of its activity or of its own unit; for a unit account its unit's.
pub fn participation_scope(user: &AuthUser) -> Option<(Option<String>, Option<String>)> {
    match user.role {
        Role::Admin | Role::Coordinator | Role::Leader => None,
        Role::Lead => Some((
            user.lead_activity.map(|a| a.as_str().to_owned()),
            user.unit_id.clone(),
        )),
        Role::Unit => Some((None, user.unit_id.clone())),
    }
}

/// Run a compliance check: the coordinator, for all activities or one; a lead for its own
/// activity only. Returns the activity the run is limited to.
pub fn run_compliance_check(
    user: &AuthUser,
    activity: Option<Activity>,
) -> Result<Option<Activity>, AppError> {
    match user.role {
        Role::Coordinator => Ok(activity),
        Role::Lead
            if user.lead_activity.is_some()
                && (activity.is_none() || activity == user.lead_activity) =>
        {
            Ok(user.lead_activity)
        }
        Role::Lead => Err(AppError::Forbidden { code: "activity" }),
        _ => Err(AppError::Forbidden { code: "role" }),
    }
}

/// The one unit whose part of a compliance run a caller reads (score, listing, progress, runs
/// limited to a unit): a unit account its own; everyone else every unit.
pub fn compliance_unit_scope(user: &AuthUser) -> Option<String> {
    match user.role {
        Role::Unit => Some(user.unit_id.clone().unwrap_or_default()),
        _ => None,
    }
}

/// Which findings of a compliance run a caller reads, as (unit, activity), either matching:
/// a unit account its own unit's; a lead those of its activity and of its own unit; the
/// coordinator, leaders and admins all (`None`).
pub fn compliance_finding_scope(user: &AuthUser) -> Option<(Option<String>, Option<Activity>)> {
    match user.role {
        Role::Unit => Some((Some(user.unit_id.clone().unwrap_or_default()), None)),
        Role::Lead => Some((user.unit_id.clone(), user.lead_activity)),
        _ => None,
    }
}

/// Import 12345 work orders, freeze concentration lists and scan for spikes: the coordinator
/// (with the district government office) and the COMPLAINT lead (the 12345 centre).
pub fn manage_hotline(user: &AuthUser) -> Result<(), AppError> {
    allow(
        user.key.is_none() && user.role == Role::Coordinator
            || (user.role == Role::Lead && user.lead_activity == Some(Activity::Complaint)),
    )
}

/// Import 12345 work orders and scan for spikes: those who manage the hotline, and API keys
/// with `hotline:import`.
pub fn import_hotline(user: &AuthUser) -> Result<(), AppError> {
    if user.has_scope(Scope::HotlineImport) {
        return Ok(());
    }
    manage_hotline(user)
}

/// Whose hotline figures a caller reads: the coordinator, leaders, admins and the COMPLAINT
/// lead every unit's (`None`); any other account its own unit's.
pub fn hotline_scope(user: &AuthUser) -> Option<String> {
    if user.has_scope(Scope::StatsRead) {
        return None;
    }
    match user.role {
        Role::Admin | Role::Coordinator | Role::Leader => None,
        Role::Lead if user.lead_activity == Some(Activity::Complaint) => None,
        _ => Some(user.unit_id.clone().unwrap_or_default()),
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
            key: None,
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

    #[test]
    fn only_a_units_own_accounts_see_its_phones() {
        assert!(sees_phones(&user(Role::Unit, Some("a"), None), "a"));
        assert!(sees_phones(
            &user(Role::Lead, Some("a"), Some(Activity::Window)),
            "a"
        ));
        assert!(!sees_phones(
            &user(Role::Lead, Some("l"), Some(Activity::Window)),
            "a"
        ));
        assert!(!sees_phones(&user(Role::Unit, Some("b"), None), "a"));
        for role in [Role::Admin, Role::Coordinator, Role::Leader] {
            assert!(!sees_phones(&user(role, Some("a"), None), "a"), "{role}");
        }
    }

    #[test]
    fn a_units_data_is_managed_by_itself_and_the_coordinator() {
        assert!(manage_unit_data(&user(Role::Unit, Some("a"), None), "a").is_ok());
        assert!(manage_unit_data(&user(Role::Unit, Some("a"), None), "b").is_err());
        assert!(manage_unit_data(&user(Role::Coordinator, Some("c"), None), "b").is_ok());
        assert!(manage_unit_data(&user(Role::Admin, None, None), "b").is_err());
        assert!(manage_unit_data(&user(Role::Leader, None, None), "b").is_err());
    }

    #[test]
    fn draws_follow_the_activity() {
        let window_lead = user(Role::Lead, Some("l"), Some(Activity::Window));
        assert!(make_draw(&window_lead, Some("b"), Activity::Window).is_ok());
        assert!(make_draw(&window_lead, Some("b"), Activity::Enforcement).is_err());
        assert!(make_draw(
            &user(Role::Unit, Some("a"), None),
            Some("a"),
            Activity::Window
        )
        .is_ok());
        assert!(make_draw(
            &user(Role::Unit, Some("a"), None),
            Some("b"),
            Activity::Window
        )
        .is_err());
        assert!(make_draw(
            &user(Role::Unit, Some("a"), None),
            None,
            Activity::Enforcement
        )
        .is_err());
        assert!(make_draw(
            &user(Role::Coordinator, None, None),
            None,
            Activity::Enforcement
        )
        .is_ok());
        assert!(make_draw(&user(Role::Leader, None, None), Some("a"), Activity::Window).is_err());
    }

    #[test]
    fn participations_are_kept_by_the_unit_and_reviewed_by_the_activitys_lead() {
        let unit = user(Role::Unit, Some("a"), None);
        assert!(act_as_unit(&unit, "a").is_ok());
        assert!(matches!(
            act_as_unit(&unit, "b"),
            Err(AppError::Forbidden { code: "unit" })
        ));
        let window = user(Role::Lead, Some("l"), Some(Activity::Window));
        assert!(
            act_as_unit(&window, "b").is_err(),
            "a lead does not write others' records"
        );
        assert!(review_participation(&window, "b", Activity::Window, false).is_ok());
        assert!(review_participation(&window, "b", Activity::Enforcement, false).is_err());
        assert!(review_participation(&unit, "a", Activity::Window, false).is_err());
        assert!(matches!(
            review_participation(&window, "l", Activity::Window, true),
            Err(AppError::Forbidden { code: "own_record" })
        ));
        let coordinator = user(Role::Coordinator, Some("c"), None);
        assert!(review_participation(&coordinator, "l", Activity::Window, true).is_ok());
        assert!(review_issue(&coordinator, "a", None).is_ok());
        assert!(review_issue(&window, "b", Some(Activity::Window)).is_ok());
        assert!(
            review_issue(&window, "b", None).is_err(),
            "a manual issue without activity: the coordinator"
        );
        assert!(matches!(
            review_issue(&window, "l", Some(Activity::Window)),
            Err(AppError::Forbidden { code: "own_record" })
        ));
        assert!(matches!(
            review_issue(&unit, "a", Some(Activity::Window)),
            Err(AppError::Forbidden { code: "own_record" })
        ));
        assert!(open_issue(&window, "b", Some(Activity::Window)).is_ok());
        assert!(open_issue(&window, "b", None).is_err());
        assert!(withdraw_issue(&coordinator).is_ok() && withdraw_issue(&window).is_err());
        assert!(review_participation(&coordinator, "b", Activity::Window, false).is_err());
        assert!(annotate_participation(&window, "b", Activity::Window).is_ok());
        assert!(annotate_participation(&window, "b", Activity::Complaint).is_err());
        assert!(annotate_participation(
            &user(Role::Coordinator, None, None),
            "b",
            Activity::Complaint
        )
        .is_ok());
        assert!(
            annotate_participation(&user(Role::Leader, None, None), "b", Activity::Complaint)
                .is_err()
        );
        assert_eq!(participation_scope(&unit), Some((None, Some("a".into()))));
        assert_eq!(
            participation_scope(&window),
            Some((Some("window".into()), Some("l".into())))
        );
        assert_eq!(participation_scope(&user(Role::Leader, None, None)), None);
    }
}
