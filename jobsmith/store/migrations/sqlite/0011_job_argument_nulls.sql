-- PostgreSQL's SQL-callable insert_job now refuses JSON null for a typed argument whose
-- type hint does not allow None. SQLite has no stored procedures (jobs are posted and
-- checked in Python): nothing changes here; the number keeps both dialects in step.
SELECT 1;
