-- Reports (统计报表, 季度总结): frozen snapshots of computed statistics, every submission kept;
-- and the working calendar (public holidays and make-up working days, 调休) by year.
-- Same schema as the SQLite migration of the same name.
CREATE TABLE reports (
    id           TEXT      NOT NULL PRIMARY KEY,
    kind         TEXT      NOT NULL,
    period       TEXT      NOT NULL,
    activity     TEXT,
    narrative    TEXT,
    statistics   TEXT      NOT NULL,
    merged       TEXT,
    due_on       DATE,
    late_days    INTEGER,
    submitted_by TEXT      REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    CONSTRAINT reports_kind_check CHECK (kind IN ('monthly', 'quarterly', 'district_quarterly')),
    CONSTRAINT reports_activity_check CHECK (activity IS NULL OR activity IN ('window', 'enforcement', 'complaint'))
);
CREATE INDEX reports_period_idx ON reports (kind, period, activity);

CREATE TABLE calendar_days (
    day        DATE      NOT NULL PRIMARY KEY,
    year       INTEGER   NOT NULL,
    kind       TEXT      NOT NULL,
    name       TEXT,
    CONSTRAINT calendar_days_kind_check CHECK (kind IN ('holiday', 'workday'))
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year);

-- Bulletins (通报): the coordinator's quarterly bulletin, public once published.
CREATE TABLE bulletins (
    id           TEXT      NOT NULL PRIMARY KEY,
    quarter      TEXT      NOT NULL,
    title        TEXT      NOT NULL,
    body         TEXT      NOT NULL,
    report_id    TEXT      REFERENCES reports (id),
    figures      TEXT,
    listed       TEXT      NOT NULL,
    status       TEXT      NOT NULL,
    published_at TIMESTAMP,
    created_by   TEXT      REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    CONSTRAINT bulletins_status_check CHECK (status IN ('draft', 'published'))
);
CREATE INDEX bulletins_quarter_idx ON bulletins (quarter, status);
