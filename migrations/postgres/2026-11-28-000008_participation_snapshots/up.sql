-- Each filing keeps the record as it was filed, so that a compliance check judged as of a past
-- date reads a participation as it stood then, even if it was returned and edited afterwards.
ALTER TABLE participation_transitions ADD COLUMN snapshot TEXT;
