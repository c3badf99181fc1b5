-- A deleted account's security events stay (an operator may need to know what happened), still
-- under its old id, which is never given to another user (AUTOINCREMENT). They never held the
-- email. SQLite cannot drop a foreign key, so the table is rebuilt without the cascading one.
CREATE TABLE security_events_kept (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT,
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

INSERT INTO security_events_kept (id, user_id, kind, session_id, created_at, ip, user_agent,
                                  browser, browser_version, os, device)
SELECT id, user_id, kind, session_id, created_at, ip, user_agent, browser, browser_version, os,
       device
FROM security_events;

DROP TABLE security_events;
ALTER TABLE security_events_kept RENAME TO security_events;

CREATE INDEX security_events_by_user ON security_events (user_id, created_at);
CREATE INDEX security_events_by_time ON security_events (created_at);
