-- Rate-limit state that every instance sees (src/auth/limits/shared.rs): per key, the GCRA
-- "theoretical arrival time" in microseconds on the database's clock. UNLOGGED: no WAL, so a
-- check costs little; a crash of the server empties the table, which only resets the quotas.
CREATE UNLOGGED TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat_us BIGINT NOT NULL
);
