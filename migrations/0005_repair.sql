-- 0005_repair: what self-healing needs — node health over time, the health
-- of each shard, the queue of blobs to repair, and each node's scrub
-- progress.

-- When a node's state last changed: suspect turns dead after a while, and
-- operators see how long a node has been down.
ALTER TABLE nodes ADD COLUMN state_changed_at timestamptz NOT NULL DEFAULT now();

-- A shard's own health, apart from its node's: 'corrupt' (a scrub or a
-- read found bad bytes), 'missing' (its node does not have it), or
-- 'misplaced' (healthy, but rebalancing wants it on another node). Repair
-- rewrites every shard that is not 'ok' or whose node is dead or draining.
ALTER TABLE shards ADD COLUMN state text NOT NULL DEFAULT 'ok'
    CHECK (state IN ('ok', 'corrupt', 'missing', 'misplaced'));

-- Blobs that may have shards to rewrite. An entry is a hint: the repairer
-- re-reads the blob's shards and nodes when it claims it, so enqueueing a
-- blob twice, or one that turns out healthy, is harmless. claimed_until is
-- a repairer's lease (another takes over when it runs out); not_before
-- delays a retry after a failure.
CREATE TABLE repair_queue (
    blob_id       bytea PRIMARY KEY REFERENCES blobs (id) ON DELETE CASCADE,
    reason        text NOT NULL,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    attempts      int NOT NULL DEFAULT 0,
    last_error    text,
    claimed_until timestamptz,
    not_before    timestamptz
);
CREATE INDEX repair_queue_enqueued_at ON repair_queue (enqueued_at);

-- How far the scrubber has walked each node's shards. cursor is the name
-- of the last shard checked in the current pass ('' at the start of one);
-- claimed_until is a scrubber's lease on the node.
CREATE TABLE scrub_progress (
    node_id         text PRIMARY KEY,
    cursor          text NOT NULL DEFAULT '',
    pass_started_at timestamptz,
    last_pass_at    timestamptz,
    claimed_until   timestamptz,
    checked         bigint NOT NULL DEFAULT 0,
    corrupt         bigint NOT NULL DEFAULT 0,
    missing         bigint NOT NULL DEFAULT 0,
    orphans         bigint NOT NULL DEFAULT 0
);
