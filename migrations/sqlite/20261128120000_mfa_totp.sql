-- Two-factor sign-in (TOTP, RFC 6238). Whether it is on is kept on the user (the sign-in step
-- reads it with the password hash); the rest lives in the tables below.
ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Sessions started with a second factor, and when this session last proved who it is (a
-- password, and a code with MFA on): sensitive steps want it recent.
ALTER TABLE sessions ADD COLUMN mfa BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;

-- One TOTP secret per user, AES-256-GCM encrypted under a key derived from the signing secret
-- (never in clear). `enabled_at` is NULL while the setup waits for its first code;
-- `last_step` is the last 30-second step a code was accepted for (a code is accepted once).
CREATE TABLE mfa_totp (
    user_id     BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    enabled_at  BIGINT,
    last_step   BIGINT  NOT NULL DEFAULT 0
);

-- Ten single-use recovery codes per enrolment, kept as keyed hashes only.
CREATE TABLE mfa_recovery_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT    NOT NULL,
    used_at     BIGINT
);

CREATE INDEX mfa_recovery_codes_by_user ON mfa_recovery_codes (user_id);

-- The tickets between the password and the code: single use, a few wrong codes at most.
CREATE TABLE mfa_tickets (
    jti         TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    spent_at    BIGINT
);

CREATE INDEX mfa_tickets_by_expiry ON mfa_tickets (expires_at);
