-- WeChat mini-program sign-in: an openid bound to one account (and an account to one openid),
-- and the short-lived single-use tickets that let an unbound openid be bound after a password
-- check. Tickets are stored as SHA-256 digests; WeChat's session_key is never stored.
CREATE TABLE wechat_bindings (
    openid     TEXT      NOT NULL PRIMARY KEY,
    user_id    TEXT      NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT wechat_bindings_user_key UNIQUE (user_id)
);

CREATE TABLE wechat_tickets (
    ticket_hash TEXT      NOT NULL PRIMARY KEY,
    openid      TEXT      NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
