ALTER TABLE participation_transitions DROP COLUMN snapshot;
