-- 018_search_inline: PostgreSQL only (schema/pg/018_search_inline.sql
-- keeps each index row's tsvector in the row, not in TOAST). SQLite's
-- FTS5 index has nothing like it; the number keeps both engines' schema
-- versions in step.
SELECT 1;
