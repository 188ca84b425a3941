-- JobMaster's SQL procedure `insert` exists on PostgreSQL only (SQLite has no stored
-- procedures; post with `jobsmith post` or JobMaster.insert_job there). Nothing to change:
-- this keeps the version numbers of both dialects in step.
SELECT 1;
