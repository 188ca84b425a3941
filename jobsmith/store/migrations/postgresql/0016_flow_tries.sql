-- A flow's retry controllers keep counting after a crash: `tries` holds, for each retry
-- controller of a flow run that keeps its state, the number of the try in progress (JSON:
-- {"0 flow (Times)": 2}; the key is the controller's place in the flow, its flow's name
-- and its own). A flow run resumed after a crash continues that try instead of being
-- granted its tries again. Written with the state of the task that starts the try.
ALTER TABLE flow_run ADD COLUMN tries TEXT NOT NULL DEFAULT '{}';
