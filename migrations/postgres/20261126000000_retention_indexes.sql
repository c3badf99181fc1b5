-- Housekeeping deletes by age: old security events, long-dead sessions.
CREATE INDEX security_events_by_time ON security_events (created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
