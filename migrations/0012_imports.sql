-- 0012_imports: progress of `floe import`, which copies buckets from
-- another S3 server into this Floe through its S3 API.
--
-- One row per source object version the importer has started on: the
-- source is named by its endpoint and bucket, the destination by its
-- bucket. version_id is '' for a source bucket without versioning (one
-- row per key, rewritten when the object changes) and the source's version
-- ID otherwise (versions never change, so a done row is never redone).
-- etag, size and last_modified are the source's, as listed: a done row
-- whose three still match the listing is unchanged and skipped.
--
-- state: 'copying' from just before the first byte is written until the
-- destination acknowledged and verified the copy, then 'done'; 'failed'
-- after the last retry (error says why). A 'copying' row found at start-up
-- belongs to a run that died: its upload_id, if any, is aborted and the
-- object is copied again, unless the destination shows that the write
-- landed (see package s3api/s3import). dest_version_id is the version the
-- copy became on the destination, for ordering a key's versions.
CREATE TABLE import_objects (
    source_endpoint text NOT NULL,
    source_bucket   text NOT NULL,
    dest_bucket     text NOT NULL,
    key             text COLLATE "C" NOT NULL,
    version_id      text NOT NULL DEFAULT '',
    delete_marker   boolean NOT NULL DEFAULT false,
    etag            text NOT NULL DEFAULT '',
    size            bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    last_modified   timestamptz,
    state           text NOT NULL CHECK (state IN ('copying', 'done', 'failed')),
    upload_id       text,
    dest_version_id text,
    error           text,
    attempts        integer NOT NULL DEFAULT 0,
    copies          integer NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_endpoint, source_bucket, dest_bucket, key, version_id)
);

CREATE INDEX import_objects_state ON import_objects (source_endpoint, source_bucket, dest_bucket, state);
