-- Webhooks: subscriptions of integrations to the service's events, an outbox of deliveries
-- written in the same transaction as the event, the attempts made, and worker leases.
CREATE TABLE webhooks (
    id         TEXT      NOT NULL PRIMARY KEY,
    name       TEXT      NOT NULL,
    url        TEXT      NOT NULL,
    events     TEXT      NOT NULL,
    secret     TEXT      NOT NULL,
    active     BOOLEAN   NOT NULL,
    created_by TEXT      REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version    BIGINT    NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT      NOT NULL PRIMARY KEY,
    webhook_id       TEXT      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT      NOT NULL,
    event_type       TEXT      NOT NULL,
    payload          TEXT      NOT NULL,
    status           TEXT      NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER   NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    claimed_by       TEXT,
    claimed_until    TIMESTAMP,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at     TIMESTAMP,
    redelivery_of    TEXT,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id            TEXT      NOT NULL PRIMARY KEY,
    delivery_id   TEXT      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt       INTEGER   NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    duration_ms   BIGINT    NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    response_body TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

-- Events raised by a scan rather than a request (an issue passing its deadline): one row per
-- event key, so several instances scanning at once raise it once.
CREATE TABLE event_notices (
    notice_key TEXT      NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

-- A background job held by one instance at a time (the webhook worker on SQLite).
CREATE TABLE worker_leases (
    name       TEXT      NOT NULL PRIMARY KEY,
    holder     TEXT      NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
