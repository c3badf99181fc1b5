-- How each session signed in: password, password+totp, password+recovery, password+passkey,
-- passkey, oidc:{provider}… (see auth::sessions::SignInMethod). Sessions from before this column
-- signed in with a password, with a code when `mfa` is set.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
UPDATE sessions SET method = 'password+totp' WHERE mfa;
