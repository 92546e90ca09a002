-- API keys for integrations: stored as SHA-256 digests of high-entropy secrets, shown once.
CREATE TABLE api_keys (
    id                TEXT      NOT NULL PRIMARY KEY,
    lookup_id         TEXT      NOT NULL,
    name              TEXT      NOT NULL,
    key_hash          TEXT      NOT NULL,
    scopes            TEXT      NOT NULL,
    allowed_addresses TEXT      NOT NULL,
    expires_at        TIMESTAMP,
    created_by        TEXT      REFERENCES users (id),
    created_at        TIMESTAMP NOT NULL,
    last_used_at      TIMESTAMP,
    revoked_at        TIMESTAMP,
    CONSTRAINT api_keys_lookup_id_key UNIQUE (lookup_id)
);
