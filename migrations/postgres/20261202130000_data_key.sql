-- Keys that outlive the signing key. `sealed_keys` holds keys the app made for itself, each
-- sealed under the data key (`data_key`): the recovery-code key, and while codes need them the
-- keys older releases derived from the signing secret. TOTP secrets move to the data key at
-- start-up (the app does it: sealing is not SQL).
CREATE TABLE sealed_keys (
    id          TEXT    PRIMARY KEY,
    sealed      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- Which key hashed each recovery code: codes from before this migration were hashed with a key
-- derived from the signing secret ('legacy'); new ones with the recovery-code key.
ALTER TABLE mfa_recovery_codes ADD COLUMN key_id TEXT NOT NULL DEFAULT 'legacy';
