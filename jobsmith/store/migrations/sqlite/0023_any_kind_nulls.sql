-- PostgreSQL's insert_job now refuses JSON null for a parameter of kind "any" whose
-- definition says "nullable": false (a `date` or other hint without a JSON kind that does
-- not allow None). SQLite has no stored procedures (jobs are posted and checked in
-- Python): nothing changes here; the number keeps both dialects in step.
SELECT 1;
