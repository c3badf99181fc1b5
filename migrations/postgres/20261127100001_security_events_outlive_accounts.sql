-- A deleted account's security events stay (an operator may need to know what happened), still
-- under its old id, which is never given to another user (identity column). They never held the
-- email.
ALTER TABLE security_events DROP CONSTRAINT IF EXISTS security_events_user_id_fkey;
