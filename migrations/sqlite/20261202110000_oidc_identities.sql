-- Sign-in with OpenID Connect providers (src/oidc/). Times are unix seconds, bound from Rust.

-- An identity at a provider, `(provider, subject)`, linked to one account. `email` is what the
-- provider said when it was linked (shown on the account page; never used to sign in).
CREATE TABLE user_identities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    email       TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    last_used_at BIGINT NOT NULL,
    UNIQUE (provider, subject)
);

CREATE INDEX user_identities_by_user ON user_identities (user_id);

-- A sign-in (or a link) on its way through a provider: bound to the browser that started it by
-- a random cookie whose hash is the key; spent by the callback, whatever its outcome.
CREATE TABLE oidc_flows (
    cookie_hash   TEXT    PRIMARY KEY,
    provider      TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    next          TEXT    NOT NULL DEFAULT '/',
    -- Set when a signed-in person links another provider from their account page.
    link_user_id  BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    expires_at    BIGINT  NOT NULL
);

CREATE INDEX oidc_flows_by_expiry ON oidc_flows (expires_at);

-- An identity that matched an account it may not enter on its own word: it waits, bound to the
-- browser by a cookie, until that account's password is given once.
CREATE TABLE oidc_pending_links (
    cookie_hash TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    email       TEXT    NOT NULL DEFAULT '',
    next        TEXT    NOT NULL DEFAULT '/',
    expires_at  BIGINT  NOT NULL
);

CREATE INDEX oidc_pending_links_by_expiry ON oidc_pending_links (expires_at);

-- A sign-in ticket remembers its first step (`password`, `oidc:{name}`), so the session the code
-- starts says how it really signed in (`oidc:google+totp`).
ALTER TABLE mfa_tickets ADD COLUMN first_factor TEXT NOT NULL DEFAULT 'password';
