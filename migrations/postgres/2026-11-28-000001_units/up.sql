-- Units (参与单位) and their participation categories (活动主体). Same schema as the SQLite
-- migration of the same name: ids and enums as TEXT, timestamps in UTC, JSON as TEXT.
CREATE TABLE units (
    id                 TEXT    NOT NULL PRIMARY KEY,
    name               TEXT    NOT NULL,
    short_code         TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    head_name          TEXT,
    head_title         TEXT,
    deputies           TEXT    NOT NULL DEFAULT '[]',
    delegation_allowed BOOLEAN NOT NULL DEFAULT FALSE,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    programme_role     TEXT,
    lead_activity      TEXT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    version            BIGINT  NOT NULL DEFAULT 1,
    CONSTRAINT units_name_key UNIQUE (name),
    CONSTRAINT units_short_code_key UNIQUE (short_code),
    CONSTRAINT units_kind_check CHECK (kind IN ('district_department', 'subdistrict_office',
        'city_bureau_branch', 'enterprise', 'management_committee')),
    CONSTRAINT units_programme_role_check CHECK (
        (programme_role IS NULL AND lead_activity IS NULL)
        OR (programme_role = 'coordinator' AND lead_activity IS NULL)
        OR (programme_role = 'organizer' AND lead_activity IN ('window', 'enforcement', 'complaint'))
        OR (programme_role = 'lead' AND lead_activity IN ('window', 'enforcement', 'complaint'))),
    CONSTRAINT units_version_check CHECK (version >= 1)
);

CREATE TABLE unit_categories (
    unit_id  TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    PRIMARY KEY (unit_id, category),
    CONSTRAINT unit_categories_category_check CHECK (category IN ('approval_service',
        'law_enforcement', 'policy_making', 'complaint_concentrated', 'public_utility'))
);

CREATE INDEX unit_categories_category_idx ON unit_categories (category, unit_id);
CREATE INDEX units_active_idx ON units (active, id);
