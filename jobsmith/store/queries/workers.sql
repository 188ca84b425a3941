-- Workers' own records: registered when they start, beaten with their heartbeat, marked
-- stopped when they stop. A worker that died stops beating: its record ages.

-- name: register_worker
-- A worker starts (a name is used once; registering again refreshes it).
INSERT INTO queue_worker (name, host, pid, concurrency, process_units, queues, lease,
                          started_at, heartbeat_at)
VALUES (:name, :host, :pid, :concurrency, :process_units, :queues, :lease, :at, :at)
ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, stopped_at = NULL;

-- name: beat_worker
-- A worker's heartbeat.
UPDATE queue_worker SET heartbeat_at = :at WHERE name = :name;

-- name: stop_worker
-- A worker stopped cleanly.
UPDATE queue_worker SET stopped_at = :at, heartbeat_at = :at WHERE name = :name;

-- name: dashboard_registered_workers
-- Workers seen since :since (running, gone or stopped), newest heartbeat first.
SELECT * FROM queue_worker WHERE heartbeat_at >= :since ORDER BY heartbeat_at DESC, name
LIMIT 500;
