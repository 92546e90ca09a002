-- Compliance checks (专项考核): each run with its inputs' summary, settings, findings and scores.
-- Runs are immutable: a trigger refuses any change. Same schema as the PostgreSQL migration.
CREATE TABLE compliance_checks (
    id                TEXT      NOT NULL PRIMARY KEY,
    period            TEXT      NOT NULL,
    unit_id           TEXT      REFERENCES units (id),
    activity          TEXT,
    evaluated_on      DATE      NOT NULL,
    inputs            TEXT      NOT NULL,
    settings          TEXT      NOT NULL,
    progress          TEXT      NOT NULL,
    listed            TEXT      NOT NULL,
    previous_check_id TEXT      REFERENCES compliance_checks (id),
    finding_count     INTEGER   NOT NULL,
    created_by        TEXT      REFERENCES users (id),
    created_at        TIMESTAMP NOT NULL,
    CONSTRAINT compliance_checks_activity_check CHECK (activity IS NULL OR activity IN ('window', 'enforcement', 'complaint'))
);
CREATE INDEX compliance_checks_period_idx ON compliance_checks (period, evaluated_on);

CREATE TABLE compliance_findings (
    check_id   TEXT    NOT NULL REFERENCES compliance_checks (id),
    seq        INTEGER NOT NULL,
    rule       TEXT    NOT NULL,
    finding_key TEXT   NOT NULL,
    unit_id    TEXT    REFERENCES units (id),
    activity   TEXT,
    subject_period TEXT,
    severity   TEXT    NOT NULL,
    code       TEXT    NOT NULL,
    message_zh TEXT    NOT NULL,
    message_en TEXT    NOT NULL,
    evidence   TEXT    NOT NULL,
    clause     TEXT    NOT NULL,
    due_on     DATE,
    points     INTEGER NOT NULL,
    PRIMARY KEY (check_id, seq),
    CONSTRAINT compliance_findings_key_unique UNIQUE (check_id, finding_key),
    CONSTRAINT compliance_findings_severity_check CHECK (severity IN ('minor', 'major', 'serious'))
);
CREATE INDEX compliance_findings_unit_idx ON compliance_findings (check_id, unit_id);

CREATE TABLE compliance_scores (
    check_id  TEXT    NOT NULL REFERENCES compliance_checks (id),
    unit_id   TEXT    NOT NULL REFERENCES units (id),
    unit_name TEXT    NOT NULL,
    rank      INTEGER NOT NULL,
    score     INTEGER NOT NULL,
    deducted  INTEGER NOT NULL,
    findings  INTEGER NOT NULL,
    PRIMARY KEY (check_id, unit_id)
);

-- A bulletin may carry a compliance check's ranked scores and its list.
ALTER TABLE bulletins ADD COLUMN compliance TEXT;

CREATE TRIGGER compliance_checks_no_update BEFORE UPDATE ON compliance_checks
BEGIN
    SELECT RAISE(ABORT, 'compliance checks are never changed');
END;
CREATE TRIGGER compliance_checks_no_delete BEFORE DELETE ON compliance_checks
BEGIN
    SELECT RAISE(ABORT, 'compliance checks are never deleted');
END;

CREATE TRIGGER compliance_findings_no_update BEFORE UPDATE ON compliance_findings
BEGIN
    SELECT RAISE(ABORT, 'compliance checks are never changed');
END;
CREATE TRIGGER compliance_findings_no_delete BEFORE DELETE ON compliance_findings
BEGIN
    SELECT RAISE(ABORT, 'compliance checks are never deleted');
END;

CREATE TRIGGER compliance_scores_no_update BEFORE UPDATE ON compliance_scores
BEGIN
    SELECT RAISE(ABORT, 'compliance checks are never changed');
END;
CREATE TRIGGER compliance_scores_no_delete BEFORE DELETE ON compliance_scores
BEGIN
    SELECT RAISE(ABORT, 'compliance checks are never deleted');
END;
