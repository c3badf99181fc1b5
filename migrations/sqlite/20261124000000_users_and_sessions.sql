-- Times are unix seconds (BIGINT), bound from Rust, so both engines compare them the same way.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'user',
    password_hash TEXT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT  NOT NULL
);

-- The refresh-token whitelist: one row per device session.
CREATE TABLE sessions (
    id              TEXT    PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti     TEXT    NOT NULL,
    previous_jti    TEXT,
    rotated_at      BIGINT,
    created_at      BIGINT  NOT NULL,
    last_used_at    BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    revoked_at      BIGINT,
    user_agent      TEXT    NOT NULL DEFAULT '',
    browser         TEXT    NOT NULL DEFAULT '',
    browser_version TEXT    NOT NULL DEFAULT '',
    os              TEXT    NOT NULL DEFAULT '',
    device          TEXT    NOT NULL DEFAULT 'UNKNOWN',
    ip              TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id, last_used_at);
