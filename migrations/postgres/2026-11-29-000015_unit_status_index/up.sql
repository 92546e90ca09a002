-- A unit's records in one state, in id order: its own list filtered by status, and /todo's
-- drafts and returned records. Without it, a unit with many drafts had all of them read and
-- sorted for a page of 200 (PostgreSQL, 16,000 drafts: 7.6 ms a query, /todo 205 requests/s;
-- benches/RESULTS.md).
CREATE INDEX participations_unit_status_id_idx ON participations (unit_id, status, id);
