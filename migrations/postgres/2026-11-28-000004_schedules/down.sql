DROP TABLE tracking_subjects;
DROP TABLE triggers;
DROP TABLE schedule_transitions;
DROP TABLE schedule_entries;
DROP TABLE schedules;
