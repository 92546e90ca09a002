-- Participations (参与活动记录) with their workflow history and notes, the ledger issues their
-- findings become on filing (问题台账), and the Idempotency-Key answers of POST requests.
-- Same schema as the SQLite migration of the same name.
CREATE TABLE participations (
    id                  TEXT      NOT NULL PRIMARY KEY,
    unit_id             TEXT      NOT NULL REFERENCES units (id),
    activity            TEXT      NOT NULL,
    mode                TEXT      NOT NULL,
    activity_on         DATE      NOT NULL,
    place               TEXT      NOT NULL,
    participant_kind    TEXT      NOT NULL,
    participant         TEXT      NOT NULL,
    schedule_entry_id   TEXT      REFERENCES schedule_entries (id),
    trigger_id          TEXT      REFERENCES triggers (id),
    tracking_subject_id TEXT      REFERENCES tracking_subjects (id),
    people_received     INTEGER   NOT NULL DEFAULT 0,
    matter_ids          TEXT      NOT NULL DEFAULT '[]',
    summary             TEXT      NOT NULL DEFAULT '',
    segments            TEXT      NOT NULL DEFAULT '[]',
    status              TEXT      NOT NULL,
    filed_at            TIMESTAMP,
    last_filed_at       TIMESTAMP,
    late_days           INTEGER,
    created_by          TEXT      REFERENCES users (id),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    version             BIGINT    NOT NULL DEFAULT 1,
    CONSTRAINT participations_activity_check CHECK (activity IN ('window', 'enforcement', 'complaint')),
    CONSTRAINT participations_mode_check CHECK (mode IN ('regular', 'immediate', 'tracking')),
    CONSTRAINT participations_participant_kind_check CHECK (participant_kind IN ('head', 'deputy')),
    CONSTRAINT participations_status_check CHECK (status IN ('draft', 'filed', 'accepted', 'returned')),
    CONSTRAINT participations_people_check CHECK (people_received >= 0)
);
CREATE INDEX participations_unit_idx ON participations (unit_id, activity_on);
CREATE INDEX participations_activity_idx ON participations (activity, activity_on);
CREATE INDEX participations_trigger_idx ON participations (trigger_id);

CREATE TABLE participation_transitions (
    id               TEXT      NOT NULL PRIMARY KEY,
    participation_id TEXT      NOT NULL REFERENCES participations (id),
    action           TEXT      NOT NULL,
    from_status      TEXT      NOT NULL,
    to_status        TEXT      NOT NULL,
    reason           TEXT,
    late_days        INTEGER,
    actor_id         TEXT      REFERENCES users (id),
    at               TIMESTAMP NOT NULL
);
CREATE INDEX participation_transitions_idx ON participation_transitions (participation_id, id);

CREATE TABLE participation_notes (
    id               TEXT      NOT NULL PRIMARY KEY,
    participation_id TEXT      NOT NULL REFERENCES participations (id),
    body             TEXT      NOT NULL,
    author_id        TEXT      REFERENCES users (id),
    author_username  TEXT      NOT NULL,
    at               TIMESTAMP NOT NULL
);
CREATE INDEX participation_notes_idx ON participation_notes (participation_id, id);

-- The ledger (问题台账, Annex 2 columns): each unit's issues, numbered per unit without gaps;
-- nothing is deleted, every change is an event.
CREATE TABLE issues (
    id               TEXT      NOT NULL PRIMARY KEY,
    unit_id          TEXT      NOT NULL REFERENCES units (id),
    seq              INTEGER   NOT NULL,
    source           TEXT      NOT NULL,
    source_reason    TEXT,
    participation_id TEXT      REFERENCES participations (id),
    segment_type     TEXT,
    finding_id       TEXT,
    activity         TEXT,
    found_on         DATE      NOT NULL,
    kind             TEXT      NOT NULL,
    place            TEXT,
    content          TEXT,
    method           TEXT,
    description      TEXT      NOT NULL,
    measures         TEXT,
    immediate        BOOLEAN   NOT NULL DEFAULT FALSE,
    deadline         DATE,
    effect           TEXT,
    remarks          TEXT,
    owner            TEXT,
    status           TEXT      NOT NULL,
    resolved_at      TIMESTAMP,
    closed_at        TIMESTAMP,
    created_by       TEXT      REFERENCES users (id),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    version          BIGINT    NOT NULL DEFAULT 1,
    CONSTRAINT issues_finding_id_key UNIQUE (finding_id),
    CONSTRAINT issues_unit_seq_key UNIQUE (unit_id, seq),
    CONSTRAINT issues_kind_check CHECK (kind IN ('problem', 'demand')),
    CONSTRAINT issues_source_check CHECK (source IN ('participation', 'manual', 'compliance')),
    CONSTRAINT issues_activity_check CHECK (activity IS NULL OR activity IN ('window', 'enforcement', 'complaint')),
    CONSTRAINT issues_status_check CHECK (status IN ('open', 'rectifying', 'resolved', 'closed', 'passed', 'withdrawn'))
);
CREATE INDEX issues_unit_idx ON issues (unit_id, status);
CREATE INDEX issues_participation_idx ON issues (participation_id);
CREATE INDEX issues_found_idx ON issues (found_on);

CREATE TABLE issue_events (
    id          TEXT      NOT NULL PRIMARY KEY,
    issue_id    TEXT      NOT NULL REFERENCES issues (id),
    action      TEXT      NOT NULL,
    from_status TEXT,
    to_status   TEXT      NOT NULL,
    reason      TEXT,
    changes     TEXT,
    actor_id    TEXT      REFERENCES users (id),
    at          TIMESTAMP NOT NULL
);
CREATE INDEX issue_events_issue_idx ON issue_events (issue_id, id);

-- The quarter's lists a unit sent (R9): a frozen snapshot per submission, kept side by side.
CREATE TABLE issue_lists (
    id           TEXT      NOT NULL PRIMARY KEY,
    unit_id      TEXT      NOT NULL REFERENCES units (id),
    quarter      TEXT      NOT NULL,
    issue_count  INTEGER   NOT NULL,
    snapshot     TEXT      NOT NULL,
    submitted_by TEXT      REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL
);
CREATE INDEX issue_lists_unit_idx ON issue_lists (unit_id, quarter);

-- One row per (account, Idempotency-Key): the hash of the first body and the first answer.
CREATE TABLE idempotency_keys (
    scope_key    TEXT      NOT NULL,
    request_hash TEXT      NOT NULL,
    status       INTEGER   NOT NULL,
    response     TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    CONSTRAINT idempotency_keys_scope_key_key PRIMARY KEY (scope_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
