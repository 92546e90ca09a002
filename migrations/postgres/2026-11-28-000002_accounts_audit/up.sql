-- Accounts, their sessions (refresh-token families), login attempts, and the append-only audit
-- log. Same schema as the SQLite migration of the same name.
CREATE TABLE users (
    id                   TEXT      NOT NULL PRIMARY KEY,
    username             TEXT      NOT NULL,
    display_name         TEXT      NOT NULL,
    unit_id              TEXT      REFERENCES units (id),
    role                 TEXT      NOT NULL,
    lead_activity        TEXT,
    active               BOOLEAN   NOT NULL DEFAULT TRUE,
    password_hash        TEXT      NOT NULL,
    must_change_password BOOLEAN   NOT NULL DEFAULT TRUE,
    locked_until         TIMESTAMP,
    password_changed_at  TIMESTAMP NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    version              BIGINT    NOT NULL DEFAULT 1,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_role_check CHECK (role IN ('admin', 'coordinator', 'leader', 'lead', 'unit')),
    CONSTRAINT users_lead_activity_check CHECK (
        (role = 'lead' AND lead_activity IN ('window', 'enforcement', 'complaint'))
        OR (role <> 'lead' AND lead_activity IS NULL))
);
CREATE INDEX users_unit_idx ON users (unit_id);

CREATE TABLE refresh_tokens (
    id                TEXT      NOT NULL PRIMARY KEY,
    family_id         TEXT      NOT NULL,
    user_id           TEXT      NOT NULL REFERENCES users (id),
    token_hash        TEXT      NOT NULL,
    issued_at         TIMESTAMP NOT NULL,
    family_started_at TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL,
    rotated_at        TIMESTAMP,
    revoked_at        TIMESTAMP,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE login_attempts (
    id        TEXT      NOT NULL PRIMARY KEY,
    username  TEXT      NOT NULL,
    client    TEXT      NOT NULL,
    at        TIMESTAMP NOT NULL,
    succeeded BOOLEAN   NOT NULL
);
CREATE INDEX login_attempts_username_idx ON login_attempts (username, at);
CREATE INDEX login_attempts_client_idx ON login_attempts (client, at);

CREATE TABLE audit_log (
    id             TEXT      NOT NULL PRIMARY KEY,
    at             TIMESTAMP NOT NULL,
    actor_id       TEXT,
    actor_username TEXT,
    actor_role     TEXT,
    actor_unit_id  TEXT,
    action         TEXT      NOT NULL,
    target_type    TEXT,
    target_id      TEXT,
    changes        TEXT,
    request_id     TEXT,
    client_addr    TEXT,
    outcome        TEXT      NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id);

-- Append-only: history is never rewritten, by the API or by anyone with SQL.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
