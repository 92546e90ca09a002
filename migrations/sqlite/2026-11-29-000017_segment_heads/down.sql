ALTER TABLE participations DROP COLUMN finding_count;
ALTER TABLE participations DROP COLUMN segment_types;
