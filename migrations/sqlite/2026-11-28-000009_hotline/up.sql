-- 12345 hotline data (DOMAIN.md "12345 hotline data"). Same schema on both backends.
-- Other names a unit goes by in imported data (12345 work orders name units their own way).
CREATE TABLE unit_aliases (
    alias      TEXT      NOT NULL PRIMARY KEY,
    unit_id    TEXT      NOT NULL REFERENCES units (id),
    created_by TEXT      REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX unit_aliases_unit_idx ON unit_aliases (unit_id);

-- 12345 hotline work orders (工单), one per source and external id; no citizen's name or phone.
CREATE TABLE work_orders (
    id           TEXT      NOT NULL PRIMARY KEY,
    source       TEXT      NOT NULL,
    external_id  TEXT      NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    received_on  DATE      NOT NULL,
    unit_id      TEXT      NOT NULL REFERENCES units (id),
    category     TEXT      NOT NULL,
    channel      TEXT,
    summary      TEXT,
    status       TEXT      NOT NULL,
    closed_at    TIMESTAMP,
    due_on       DATE      NOT NULL,
    on_time      BOOLEAN,
    satisfaction TEXT,
    imported_at  TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    CONSTRAINT work_orders_source_external_key UNIQUE (source, external_id),
    CONSTRAINT work_orders_status_check CHECK (status IN ('open', 'closed'))
);
CREATE INDEX work_orders_received_idx ON work_orders (received_on, unit_id);
CREATE INDEX work_orders_unit_idx ON work_orders (unit_id, received_on);

-- A quarter's frozen complaint_concentrated list (H1): the COMPLAINT plan and R1 use the latest.
CREATE TABLE concentration_lists (
    id         TEXT      NOT NULL PRIMARY KEY,
    quarter    TEXT      NOT NULL,
    period     TEXT      NOT NULL,
    unit_ids   TEXT      NOT NULL,
    ranking    TEXT      NOT NULL,
    rule       TEXT      NOT NULL,
    created_by TEXT      REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX concentration_lists_quarter_idx ON concentration_lists (quarter, created_at);

-- Spikes found (H2), one per unit, category and window, with the trigger they recorded.
CREATE TABLE hotline_spikes (
    spike_key   TEXT      NOT NULL PRIMARY KEY,
    unit_id     TEXT      NOT NULL REFERENCES units (id),
    category    TEXT      NOT NULL,
    window_from DATE      NOT NULL,
    window_to   DATE      NOT NULL,
    order_count INTEGER   NOT NULL,
    baseline    TEXT      NOT NULL,
    trigger_id  TEXT      NOT NULL REFERENCES triggers (id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX hotline_spikes_unit_idx ON hotline_spikes (unit_id, category, window_to);
