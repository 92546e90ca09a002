-- Imports of past records: each batch, and each imported record's external reference (unique
-- per kind, so that a re-import changes nothing) with the record it became.
CREATE TABLE import_batches (
    id           TEXT      NOT NULL PRIMARY KEY,
    kind         TEXT      NOT NULL,
    source       TEXT      NOT NULL,
    record_count INTEGER   NOT NULL,
    created_by   TEXT      REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE import_refs (
    kind         TEXT      NOT NULL,
    external_ref TEXT      NOT NULL,
    batch_id     TEXT      NOT NULL REFERENCES import_batches (id),
    target_id    TEXT      NOT NULL,
    fingerprint  TEXT      NOT NULL,
    PRIMARY KEY (kind, external_ref)
);
CREATE INDEX import_refs_target ON import_refs (target_id);
