-- 0001_init: buckets, objects and the blobs that hold their bytes, storage
-- nodes, write intents and the deletion queue.
--
-- Keys and bucket names use COLLATE "C": S3 lists in UTF-8 byte order, and
-- "C" compares bytes, so ORDER BY key is S3 order and the primary key index
-- serves every listing.

-- Storage nodes, registered and kept fresh by heartbeats.
CREATE TABLE nodes (
    id             text PRIMARY KEY CHECK (id <> ''),
    addr           text NOT NULL,
    state          text NOT NULL CHECK (state IN ('alive', 'suspect', 'dead', 'draining')),
    last_heartbeat timestamptz,
    capacity_bytes bigint,
    free_bytes     bigint,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE buckets (
    name       text COLLATE "C" PRIMARY KEY CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- An erasure-coded blob: id is the BLAKE3 hash of manifest
-- (integrity.Manifest.Marshal). A blob belongs to at most one object part or
-- upload part; sharing one would let deleting either free the other's data.
CREATE TABLE blobs (
    id         bytea PRIMARY KEY CHECK (octet_length(id) = 32),
    manifest   bytea NOT NULL,
    size       bigint NOT NULL CHECK (size >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Shard idx of a blob lives on node node_id. No foreign key to nodes: a
-- node's row may be retired while repair still moves its shards.
CREATE TABLE shards (
    blob_id bytea NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    idx     int NOT NULL CHECK (idx >= 0),
    node_id text NOT NULL,
    PRIMARY KEY (blob_id, idx)
);
CREATE INDEX shards_node_id ON shards (node_id);

-- Object keys are any UTF-8 (PostgreSQL text cannot hold NUL) of 1 to 1024
-- bytes, as in S3.
CREATE TABLE objects (
    bucket              text COLLATE "C" NOT NULL REFERENCES buckets (name),
    key                 text COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 1024),
    size                bigint NOT NULL CHECK (size >= 0),
    etag                text NOT NULL,
    content_type        text,
    content_encoding    text,
    content_disposition text,
    content_language    text,
    cache_control       text,
    expires             text,
    user_meta           jsonb NOT NULL DEFAULT '{}',
    last_modified       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, key)
);

-- An object is the ordered list of its parts, one blob each: one part for a
-- single PUT, one per part for a multipart upload, none for an empty object.
CREATE TABLE object_parts (
    bucket      text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    part_number int NOT NULL CHECK (part_number >= 1),
    blob_id     bytea NOT NULL REFERENCES blobs (id),
    size        bigint NOT NULL CHECK (size >= 0),
    PRIMARY KEY (bucket, key, part_number),
    FOREIGN KEY (bucket, key) REFERENCES objects (bucket, key) ON DELETE CASCADE
);
-- Unique: no two parts share a blob (see blobs). It also serves the foreign
-- key check when a blob row is deleted.
CREATE UNIQUE INDEX object_parts_blob_id ON object_parts (blob_id);

CREATE TABLE multipart_uploads (
    upload_id           text PRIMARY KEY,
    bucket              text COLLATE "C" NOT NULL REFERENCES buckets (name),
    key                 text COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 1024),
    created_at          timestamptz NOT NULL DEFAULT now(),
    content_type        text,
    content_encoding    text,
    content_disposition text,
    content_language    text,
    cache_control       text,
    expires             text,
    user_meta           jsonb NOT NULL DEFAULT '{}'
);
-- ListMultipartUploads order; also serves the foreign key to buckets.
CREATE INDEX multipart_uploads_bucket_key ON multipart_uploads (bucket, key, created_at);

CREATE TABLE upload_parts (
    upload_id   text NOT NULL REFERENCES multipart_uploads (upload_id) ON DELETE CASCADE,
    part_number int NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
    blob_id     bytea NOT NULL REFERENCES blobs (id),
    size        bigint NOT NULL CHECK (size >= 0),
    etag        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (upload_id, part_number)
);
CREATE UNIQUE INDEX upload_parts_blob_id ON upload_parts (blob_id);

-- A write intent is recorded before a blob's shards are written and deleted
-- in the transaction that commits the blob, so a blob written but never
-- committed (crash, client gone) is found and collected. claimed_until is
-- set when garbage collection claims the intent; from then on the write can
-- no longer commit, and the lease hands the intent to another collector if
-- this one dies.
CREATE TABLE write_intents (
    nonce         bytea PRIMARY KEY,
    node_ids      text[] NOT NULL,
    blob_id       bytea CHECK (octet_length(blob_id) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz
);
CREATE INDEX write_intents_created_at ON write_intents (created_at);

-- Blobs no object references any more, whose shards garbage collection must
-- delete. The blob row (and its shards rows, which say where the shards
-- are) stays until the shards are gone; claimed_until is a collector's lease.
CREATE TABLE deletion_queue (
    blob_id       bytea PRIMARY KEY REFERENCES blobs (id) ON DELETE CASCADE,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    attempts      int NOT NULL DEFAULT 0,
    claimed_until timestamptz
);
CREATE INDEX deletion_queue_enqueued_at ON deletion_queue (enqueued_at);

-- floe_prefix_end returns the least string greater than every string that
-- starts with p, in "C" (UTF-8 byte) order: p with its last character that
-- is not U+10FFFF replaced by the next code point (skipping surrogates,
-- which UTF-8 cannot hold) and what follows it dropped. NULL when there is
-- none (p empty or all U+10FFFF). Listing seeks to it to skip every key
-- under a common prefix. metadata's prefixEnd is the same function in Go.
CREATE FUNCTION floe_prefix_end(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    c int;
BEGIN
    WHILE p <> '' LOOP
        c := ascii(right(p, 1));
        p := left(p, -1);
        IF c < 1114111 THEN
            IF c = 55295 THEN
                RETURN p || chr(57344); -- U+D7FF is followed by U+E000
            END IF;
            RETURN p || chr(c + 1);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- floe_common_prefix returns the S3 common prefix that key rolls up into
-- when listing prefix (which key starts with) with delimiter delim: prefix
-- plus the rest of key up to and including the first delim. NULL when the
-- rest holds no delim or delim is empty.
CREATE FUNCTION floe_common_prefix(key text, prefix text, delim text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN pos > 0 THEN left(key, length(prefix) + pos - 1 + length(delim)) END
    FROM (SELECT CASE WHEN delim = '' THEN 0
                      ELSE strpos(substr(key, length(prefix) + 1), delim) END AS pos) s
$$;
