-- PostgreSQL ends a batch of attempts in one statement (its end_attempts function). SQLite
-- has no stored functions and needs none: it ends a batch (finish_jobs, release_dependants,
-- log_attempts) in one write turn of its own file, without a network round trip. Nothing
-- to change: this keeps the version numbers of both dialects in step.
SELECT 1;
