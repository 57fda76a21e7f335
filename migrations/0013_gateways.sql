-- 0013_gateways: the gateways that have served this cluster, for
-- `floe admin status`: each records itself at start-up and every few
-- seconds while it serves, and its stop when it shuts down cleanly.

CREATE TABLE gateways (
	id         text PRIMARY KEY,          -- host name and listen address
	address    text NOT NULL,             -- the S3 endpoint it serves
	version    text NOT NULL,             -- floe's build
	started_at timestamptz NOT NULL,
	last_seen  timestamptz NOT NULL,
	stopped_at timestamptz                -- NULL while serving, or after a crash
);
