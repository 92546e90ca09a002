DROP INDEX issues_unit_id_idx;
DROP INDEX issues_status_id_idx;
DROP INDEX issues_unit_status_id_idx;
DROP INDEX participations_status_id_idx;
DROP INDEX participations_unit_id_idx;
DROP INDEX participations_activity_id_idx;
DROP INDEX participations_activity_status_id_idx;
