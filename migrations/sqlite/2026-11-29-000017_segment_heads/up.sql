-- What a participation list shows of the segments, kept beside them: the segment types in
-- order (comma-separated) and the number of findings. A list of 50 then reads neither the
-- segments nor the summary, the bulk of a record (benches/RESULTS.md, fifth pass). The service
-- writes both with the segments; existing records get them from their segments here.
ALTER TABLE participations ADD COLUMN segment_types TEXT NOT NULL DEFAULT '';
ALTER TABLE participations ADD COLUMN finding_count INTEGER NOT NULL DEFAULT 0;
UPDATE participations SET
    segment_types = coalesce(
        (SELECT group_concat(json_extract(s.value, '$.type'), ',' ORDER BY s.key)
           FROM json_each(participations.segments) AS s), ''),
    finding_count = coalesce(
        (SELECT sum(coalesce(json_array_length(s.value, '$.findings'), 0))
           FROM json_each(participations.segments) AS s), 0);
