//! HTTP handlers, one module per resource, with their request and response types.
//! [`configure`] is THE route table: the server and the OpenAPI spec are both built from it,
//! so no route can be missing from the spec.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod bulletins;
pub mod compliance;
pub mod context;
pub mod draws;
pub mod extract;
pub mod health;
pub mod hotline;
pub mod hotline_import;
pub mod import;
pub mod imports;
pub mod issues;
pub mod issues_export;
pub mod matters;
pub mod meta;
pub mod pagination;
pub mod participations;
pub mod problems;
pub mod public;
pub mod query;
pub mod reports;
pub mod schedules;
pub mod service_records;
pub mod stats;
pub mod todo;
pub mod triggers;
pub mod units;
pub mod users;
pub mod webhooks;
pub mod wechat;
pub mod wire;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the service.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            scope("/api/v1")
                .service(meta::openapi_json)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::change_password)
                .service(wechat::create_wechat_session)
                .service(wechat::create_wechat_binding)
                .service(wechat::delete_wechat_binding)
                .service(users::create_user)
                .service(users::list_users)
                .service(users::get_user)
                .service(users::update_user)
                .service(units::list_units)
                .service(units::write::create_unit)
                .service(units::lookup_units)
                .service(units::get_unit)
                .service(units::write::update_unit)
                .service(matters::list_matters)
                .service(matters::list_unit_matters)
                .service(matters::create_matter)
                .service(matters::import_unit_matters)
                .service(matters::get_matter)
                .service(matters::update_matter)
                .service(matters::get_unit_coverage)
                .service(service_records::list_service_records)
                .service(service_records::create_service_record)
                .service(service_records::import_service_records)
                .service(draws::create_draw)
                .service(draws::list_draws)
                .service(draws::get_draw)
                .service(draws::verify_draw)
                .service(schedules::create_schedule)
                .service(schedules::list_schedules)
                .service(schedules::get_schedule)
                .service(schedules::update_schedule)
                .service(schedules::list_schedule_entries)
                .service(schedules::create_schedule_entry)
                .service(schedules::update_schedule_entry)
                .service(schedules::delete_schedule_entry)
                .service(schedules::create_schedule_transition)
                .service(schedules::create_schedule_revision)
                .service(public::list_public_schedules)
                .service(public::get_public_schedules_ics)
                .service(public::get_public_schedule)
                .service(triggers::create_trigger)
                .service(triggers::list_triggers)
                .service(triggers::create_tracking_subject)
                .service(triggers::list_tracking_subjects)
                .service(participations::create_participation)
                .service(participations::list_participations)
                .service(participations::get_participation)
                .service(participations::update_participation)
                .service(participations::create_participation_transition)
                .service(participations::create_participation_note)
                .service(issues::create_issue)
                .service(issues::list_issues)
                .service(issues_export::get_issues_export)
                .service(issues::get_issue)
                .service(issues::update_issue)
                .service(issues::create_issue_transition)
                .service(issues::get_issue_history)
                .service(issues::create_issue_list)
                .service(issues::list_issue_lists)
                .service(stats::get_stats)
                .service(todo::get_todo)
                .service(compliance::create_compliance_check)
                .service(compliance::list_compliance_checks)
                .service(compliance::get_compliance_check)
                .service(compliance::list_compliance_findings)
                .service(compliance::list_compliance_scores)
                .service(compliance::get_compliance_check_export)
                .service(compliance::get_compliance_check_diff)
                .service(hotline::import_work_orders)
                .service(hotline::create_spike_scan)
                .service(hotline::list_hotline_spikes)
                .service(hotline::create_unit_alias)
                .service(hotline::list_unit_aliases)
                .service(hotline::get_hotline_ranking)
                .service(hotline::create_concentration_list)
                .service(hotline::list_concentration_lists)
                .service(hotline::get_hotline_stats)
                .service(bulletins::create_bulletin)
                .service(bulletins::create_bulletin_publication)
                .service(bulletins::list_bulletins)
                .service(bulletins::list_public_bulletins)
                .service(reports::create_report)
                .service(reports::list_reports)
                .service(reports::get_report)
                .service(reports::get_report_export)
                .service(reports::get_calendar_year)
                .service(reports::update_calendar_year)
                .service(api_keys::create_api_key)
                .service(api_keys::list_api_keys)
                .service(api_keys::delete_api_key)
                .service(imports::create_import)
                .service(imports::create_annex2_import)
                .service(webhooks::create_webhook)
                .service(webhooks::list_webhooks)
                .service(webhooks::get_webhook)
                .service(webhooks::update_webhook)
                .service(webhooks::delete_webhook)
                .service(webhooks::list_webhook_deliveries)
                .service(webhooks::get_webhook_delivery)
                .service(webhooks::create_webhook_redelivery)
                .service(webhooks::create_webhook_ping)
                .service(audit::list_audit),
        );
}
