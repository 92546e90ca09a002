-- Schedules (活动计划): one per activity and quarter, in revisions; their entries, their
-- workflow history; immediate triggers (即时体验) and tracking subjects (跟踪体验).
-- Same schema as the PostgreSQL migration of the same name.
CREATE TABLE schedules (
    id           TEXT      NOT NULL PRIMARY KEY,
    activity     TEXT      NOT NULL,
    quarter      TEXT      NOT NULL,
    revision     INTEGER   NOT NULL,
    title        TEXT      NOT NULL,
    notes        TEXT,
    status       TEXT      NOT NULL,
    exemptions   TEXT      NOT NULL DEFAULT '[]',
    published_at TIMESTAMP,
    created_by   TEXT      REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT    NOT NULL DEFAULT 1,
    CONSTRAINT schedules_activity_quarter_revision_key UNIQUE (activity, quarter, revision),
    CONSTRAINT schedules_activity_check CHECK (activity IN ('window', 'enforcement', 'complaint')),
    CONSTRAINT schedules_status_check CHECK (status IN ('draft', 'submitted', 'reviewed', 'approved', 'published'))
);
CREATE INDEX schedules_quarter_idx ON schedules (quarter, activity);

CREATE TABLE schedule_entries (
    id          TEXT      NOT NULL PRIMARY KEY,
    schedule_id TEXT      NOT NULL REFERENCES schedules (id),
    uid         TEXT      NOT NULL,
    unit_id     TEXT      NOT NULL REFERENCES units (id),
    planned_on  DATE      NOT NULL,
    participant TEXT      NOT NULL,
    mode        TEXT      NOT NULL,
    matter_ids  TEXT      NOT NULL DEFAULT '[]',
    place       TEXT,
    created_at  TIMESTAMP NOT NULL,
    CONSTRAINT schedule_entries_uid_key UNIQUE (schedule_id, uid),
    CONSTRAINT schedule_entries_mode_check CHECK (mode IN ('regular', 'immediate', 'tracking'))
);
CREATE INDEX schedule_entries_schedule_idx ON schedule_entries (schedule_id, planned_on);
CREATE INDEX schedule_entries_unit_idx ON schedule_entries (unit_id);

CREATE TABLE schedule_transitions (
    id          TEXT      NOT NULL PRIMARY KEY,
    schedule_id TEXT      NOT NULL REFERENCES schedules (id),
    action      TEXT      NOT NULL,
    from_status TEXT      NOT NULL,
    to_status   TEXT      NOT NULL,
    reason      TEXT,
    actor_id    TEXT      REFERENCES users (id),
    at          TIMESTAMP NOT NULL
);
CREATE INDEX schedule_transitions_schedule_idx ON schedule_transitions (schedule_id, id);

CREATE TABLE triggers (
    id          TEXT      NOT NULL PRIMARY KEY,
    unit_id     TEXT      NOT NULL REFERENCES units (id),
    reason      TEXT      NOT NULL,
    description TEXT      NOT NULL,
    raised_on   DATE      NOT NULL,
    due_on      DATE      NOT NULL,
    created_by  TEXT      REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    CONSTRAINT triggers_reason_check CHECK (reason IN ('process_change', 'important_date', 'complaint_spike'))
);
CREATE INDEX triggers_unit_idx ON triggers (unit_id, raised_on);

CREATE TABLE tracking_subjects (
    id            TEXT      NOT NULL PRIMARY KEY,
    kind          TEXT      NOT NULL,
    title         TEXT      NOT NULL,
    unit_ids      TEXT      NOT NULL,
    active_from   DATE      NOT NULL,
    active_to     DATE      NOT NULL,
    interval_days INTEGER   NOT NULL,
    created_by    TEXT      REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    CONSTRAINT tracking_subjects_kind_check CHECK (kind IN ('major_decision', 'reform', 'key_project', 'devolved_power')),
    CONSTRAINT tracking_subjects_dates_check CHECK (active_to >= active_from)
);
