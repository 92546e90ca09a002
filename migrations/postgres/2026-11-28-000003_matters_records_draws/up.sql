-- Matters (事项) per unit, service records (办件/咨询记录) for follow-up calls, and random draws
-- (随机选取), which are never changed or deleted. Same schema as the SQLite migration.
CREATE TABLE matters (
    id         TEXT      NOT NULL PRIMARY KEY,
    unit_id    TEXT      NOT NULL REFERENCES units (id),
    kind       TEXT      NOT NULL,
    name       TEXT      NOT NULL,
    code       TEXT,
    online     BOOLEAN   NOT NULL DEFAULT FALSE,
    active     BOOLEAN   NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version    BIGINT    NOT NULL DEFAULT 1,
    CONSTRAINT matters_unit_name_key UNIQUE (unit_id, name),
    CONSTRAINT matters_kind_check CHECK (kind IN ('approval', 'public_service', 'enforcement', 'complaint_domain'))
);
CREATE INDEX matters_kind_idx ON matters (kind, id);

CREATE TABLE service_records (
    id           TEXT      NOT NULL PRIMARY KEY,
    unit_id      TEXT      NOT NULL REFERENCES units (id),
    matter_id    TEXT      REFERENCES matters (id),
    served_on    DATE      NOT NULL,
    kind         TEXT      NOT NULL,
    contact_name TEXT,
    phone        TEXT,
    purged_at    TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    CONSTRAINT service_records_kind_check CHECK (kind IN ('consultation', 'application'))
);
CREATE INDEX service_records_unit_idx ON service_records (unit_id, served_on);
CREATE INDEX service_records_served_idx ON service_records (served_on);

CREATE TABLE draws (
    id              TEXT      NOT NULL PRIMARY KEY,
    purpose         TEXT      NOT NULL,
    unit_id         TEXT      REFERENCES units (id),
    reference_date  DATE,
    draw_count      INTEGER   NOT NULL,
    population      TEXT      NOT NULL,
    population_hash TEXT      NOT NULL,
    seed            TEXT      NOT NULL,
    seed_source     TEXT      NOT NULL,
    algorithm       TEXT      NOT NULL,
    result          TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    created_by      TEXT      REFERENCES users (id),
    CONSTRAINT draws_purpose_check CHECK (purpose IN ('inspection_matters', 'follow_up_contacts', 'inspection_targets')),
    CONSTRAINT draws_seed_source_check CHECK (seed_source IN ('given', 'os'))
);
CREATE INDEX draws_unit_idx ON draws (unit_id, purpose, id);

CREATE FUNCTION draws_never_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'draws are never changed or deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER draws_no_update BEFORE UPDATE OR DELETE ON draws
    FOR EACH ROW EXECUTE FUNCTION draws_never_change();
CREATE TRIGGER draws_no_truncate BEFORE TRUNCATE ON draws
    FOR EACH STATEMENT EXECUTE FUNCTION draws_never_change();
