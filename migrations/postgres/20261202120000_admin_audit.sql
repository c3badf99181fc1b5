-- The admin audit log: who (the acting admin, or the command line when admin_id is NULL) did
-- what to whom, when and from where. No foreign keys: an entry outlives both accounts, and keeps
-- the emails they had then.
CREATE TABLE admin_audit (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id     BIGINT,
    admin_email  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target_id    BIGINT,
    target_email TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    ip           TEXT,
    user_agent   TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX admin_audit_by_target ON admin_audit (target_id, id);
