-- The run log's child rows without foreign keys on PostgreSQL: the run log has one writer
-- (log_attempts and the go() context write a job run, its task runs and their parameters
-- together), and nothing deletes a job run but retention, whose prune_runs deletes its task
-- runs and their parameters in the same statement (queries/controls.sql). A foreign key
-- costs each inserted row a trigger that looks its parent up again and locks it (a WAL
-- record): three per drained no-op job with two parameters, ~11% of the server's CPU for
-- ending a batch (bench/README.md "Run-log foreign keys"). SQLite keeps its foreign keys
-- (checked in-process, no lock records).
ALTER TABLE task_run DROP CONSTRAINT task_run_job_run_id_fkey;
ALTER TABLE task_run_parameter DROP CONSTRAINT task_run_parameter_task_run_id_fkey;
