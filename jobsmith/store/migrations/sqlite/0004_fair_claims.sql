-- Fair claims on real workloads: the process units a host's running jobs hold are summed
-- on every claim; index them by host.
CREATE INDEX queue_job_host ON queue_job (host) WHERE status = 'running';
