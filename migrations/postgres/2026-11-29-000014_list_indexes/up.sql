-- The lists page in id order (keyset cursors) under equality filters: with the filter's columns
-- and then the id, an index yields the first page in order and stops there, instead of reading
-- every matching record (with its segments) to sort them (benches/RESULTS.md, list of 50).
CREATE INDEX participations_activity_status_id_idx ON participations (activity, status, id);
CREATE INDEX participations_activity_id_idx ON participations (activity, id);
CREATE INDEX participations_unit_id_idx ON participations (unit_id, id);
CREATE INDEX participations_status_id_idx ON participations (status, id);
CREATE INDEX issues_unit_status_id_idx ON issues (unit_id, status, id);
CREATE INDEX issues_status_id_idx ON issues (status, id);
CREATE INDEX issues_unit_id_idx ON issues (unit_id, id);
