-- Bookkeeping of the schema version. {schema} and {table} are identifiers, quoted by
-- the code that fills them in; every other value is bound.

-- name: migration_table_exists [sqlite]
-- Whether this store has ever been deployed.
SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'jobsmith_migration';

-- name: migration_table_exists [postgresql]
-- Whether this store has ever been deployed (in the schema on the search path).
SELECT count(*) AS n FROM pg_tables
WHERE schemaname = current_schema() AND tablename = 'jobsmith_migration';

-- name: create_migration_table [sqlite]
-- One row per applied migration.
CREATE TABLE IF NOT EXISTS jobsmith_migration (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL
);

-- name: create_migration_table [postgresql]
-- One row per applied migration.
CREATE TABLE IF NOT EXISTS jobsmith_migration (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL
);

-- name: applied_migrations
-- The versions applied so far.
SELECT version, name FROM jobsmith_migration ORDER BY version;

-- name: record_migration
-- Remember that a migration was applied.
INSERT INTO jobsmith_migration (version, name, applied_at) VALUES (:version, :name, :applied_at);

-- name: create_schema [postgresql]
-- The schema the store lives in.
CREATE SCHEMA IF NOT EXISTS {schema};

-- name: drop_schema [postgresql]
-- Forget everything (deploy with reset).
DROP SCHEMA IF EXISTS {schema} CASCADE;

-- name: deploy_lock [postgresql]
-- One deploy at a time per schema, held until the transaction ends.
SELECT pg_advisory_xact_lock(hashtext(:key));

-- name: user_tables [sqlite]
-- Every table in the file (deploy with reset drops them).
SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';

-- name: drop_table [sqlite]
-- Drop one table (deploy with reset).
DROP TABLE IF EXISTS {table};
