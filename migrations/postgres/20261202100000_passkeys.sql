-- Passkeys (WebAuthn discoverable credentials). Times are unix seconds, bound from Rust.

-- The user handle each account shows authenticators: random, never the user id, made the first
-- time the account registers a passkey. A passkey sign-in names the account by it.
CREATE TABLE passkey_users (
    user_id     BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle      TEXT    NOT NULL UNIQUE
);

-- One row per registered credential. `credential` is webauthn-rs's `Passkey` as JSON (public
-- key, algorithm, counter, flags); `sign_count`, `backup_eligible` and `backed_up` repeat what the
-- last ceremony said, for the account page and the checks. `credential_id` is base64url.
CREATE TABLE passkeys (
    id              TEXT    PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    credential      TEXT    NOT NULL,
    sign_count      BIGINT  NOT NULL DEFAULT 0,
    backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
    backed_up       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT  NOT NULL,
    last_used_at    BIGINT
);

CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at);

-- Ceremonies under way: webauthn-rs's state between start and finish, kept here so any instance
-- can finish what another started. `kind` is `register`, `sign_in` or `second_step`; a row is
-- deleted by the finish that reads it (single use) and is good until `expires_at`.
CREATE TABLE passkey_ceremonies (
    id          TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    user_id     BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    state       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);

CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);
