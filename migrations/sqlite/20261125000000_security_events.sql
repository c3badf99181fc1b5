-- What happened to an account, for its owner and for operators: sign-ins, failed attempts,
-- refresh-token reuse, revocations, password changes. user_id is NULL for a failed sign-in naming
-- no account (the attempted email is not kept: people type passwords into email fields).
CREATE TABLE security_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    session_id      TEXT,
    created_at      BIGINT  NOT NULL,
    ip              TEXT,
    user_agent      TEXT    NOT NULL DEFAULT '',
    browser         TEXT    NOT NULL DEFAULT '',
    browser_version TEXT    NOT NULL DEFAULT '',
    os              TEXT    NOT NULL DEFAULT '',
    device          TEXT    NOT NULL DEFAULT 'UNKNOWN'
);

CREATE INDEX security_events_by_user ON security_events (user_id, created_at);
