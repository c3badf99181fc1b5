-- A refresh rewrites a session's last_used_at and expires_at: the indexes holding them made every
-- rotation rewrite two index entries as well as the row. Sessions are looked up by id or by user
-- (a user has a handful; their order is a sort in memory), and the housekeeping delete scans the
-- table anyway (its OR with revoked_at, which has no index, never used the expiry index).
DROP INDEX sessions_by_expiry;
DROP INDEX sessions_by_user;
CREATE INDEX sessions_by_user ON sessions (user_id);
