DROP TABLE idempotency_keys;
DROP TABLE issue_lists;
DROP TABLE issue_events;
DROP TABLE issues;
DROP TABLE participation_notes;
DROP TABLE participation_transitions;
DROP TABLE participations;
