-- 0009_lifecycle: S3 lifecycle configuration and the progress of the
-- gateways' lifecycle runs.
--
-- buckets.lifecycle is the bucket's rules as the gateway parsed them
-- (JSON of backend/lifecycle.Config), NULL when it has none. A bucket
-- with rules has a lifecycle_runs row: a gateway claims a run with a
-- lease (claimed_until), walks the bucket's versions and saves where it
-- is (key_marker, version_marker) after each page, so a run that dies is
-- resumed by whoever claims it next; finished_at says when the last run
-- ended, so each bucket is walked once per interval whatever the number
-- of gateways.

ALTER TABLE buckets ADD COLUMN lifecycle jsonb;

CREATE TABLE lifecycle_runs (
    bucket         text COLLATE "C" PRIMARY KEY REFERENCES buckets (name) ON DELETE CASCADE,
    claimed_until  timestamptz,
    key_marker     text,
    version_marker text,
    finished_at    timestamptz
);
