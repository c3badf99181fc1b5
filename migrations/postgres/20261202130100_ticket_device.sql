-- A sign-in ticket is spent only by the device that passed the first step: its user agent.
-- Tickets from before have none and expire within minutes.
ALTER TABLE mfa_tickets ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
