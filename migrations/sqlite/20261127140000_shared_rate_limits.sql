-- Nothing on SQLite: one process owns the file, and its rate limits stay in memory
-- (src/auth/limits/memory.rs). PostgreSQL keeps them in a table every instance sees; this file
-- keeps the two engines' migration versions in step.
SELECT 1;
