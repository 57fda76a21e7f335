-- 0006_versioning: S3 bucket versioning. An object row is now one version
-- of a key; a key has any number of versions, at most one of them its
-- latest, and a version may be a delete marker.
--
-- A bucket is Unversioned (never enabled: every key has just the version
-- "null", replaced by each write), Enabled (every write adds a version with
-- a fresh ID) or Suspended (writes replace the "null" version, the others
-- stay). A bucket never returns to Unversioned.
--
-- Versions of a key are ordered by seq, taken from one sequence when the
-- version is written: a version's writer holds the key's lock (see
-- metadata's lockKey), so a later seq is a later write. is_latest marks
-- the newest version; listings of current objects read only latest rows
-- that are not delete markers.
--
-- Existing objects become the "null" version of their key, as in S3 when
-- versioning is first enabled. Rebuilding the primary keys rewrites both
-- tables under an ACCESS EXCLUSIVE lock: the upgrade of a large store
-- takes as long as a table rewrite.

ALTER TABLE buckets ADD COLUMN versioning text NOT NULL DEFAULT 'Unversioned'
    CHECK (versioning IN ('Unversioned', 'Enabled', 'Suspended'));

CREATE SEQUENCE object_version_seq;

ALTER TABLE objects
    ADD COLUMN version_id text NOT NULL DEFAULT 'null' CHECK (version_id <> ''),
    ADD COLUMN seq bigint NOT NULL DEFAULT nextval('object_version_seq'),
    ADD COLUMN is_latest boolean NOT NULL DEFAULT true,
    ADD COLUMN delete_marker boolean NOT NULL DEFAULT false,
    -- A delete marker has no bytes (and so no parts).
    ADD CONSTRAINT objects_delete_marker_empty CHECK (NOT delete_marker OR size = 0);

ALTER TABLE object_parts ADD COLUMN version_id text NOT NULL DEFAULT 'null';
ALTER TABLE object_parts DROP CONSTRAINT object_parts_bucket_key_fkey;
ALTER TABLE object_parts DROP CONSTRAINT object_parts_pkey;
ALTER TABLE objects DROP CONSTRAINT objects_pkey;

ALTER TABLE objects ADD PRIMARY KEY (bucket, key, version_id);
ALTER TABLE object_parts ADD PRIMARY KEY (bucket, key, version_id, part_number);
ALTER TABLE object_parts ADD FOREIGN KEY (bucket, key, version_id)
    REFERENCES objects (bucket, key, version_id) ON DELETE CASCADE;

-- At most one latest version per key; it serves GET without a version ID
-- and the listings of current objects.
CREATE UNIQUE INDEX objects_latest ON objects (bucket, key) WHERE is_latest;
-- ListObjectVersions order: by key, newest version first.
CREATE UNIQUE INDEX objects_versions ON objects (bucket, key, seq DESC);

-- floe_list (0002) now lists current objects only: a key's latest version,
-- unless that is a delete marker; and it returns each key's checksum
-- algorithm, which listings report. (A gateway of the previous version
-- cannot list against this schema: upgrade gateways together.)
DROP FUNCTION floe_list(text, text, text, text, int);
CREATE FUNCTION floe_list(b text, start_key text, prefix text, delim text, lim int)
RETURNS TABLE (key text, cp text, size bigint, etag text, last_modified timestamptz, checksum_algorithm text)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    plen int := length(prefix);
    dlen int := length(delim);
    n int := 0;
    pos int;
    r record;
BEGIN
    WHILE n < lim AND start_key IS NOT NULL LOOP
        SELECT o.key INTO r FROM objects o
        WHERE o.bucket = b AND o.key >= start_key AND o.is_latest AND NOT o.delete_marker
        ORDER BY o.key LIMIT 1;
        IF NOT FOUND OR NOT starts_with(r.key, prefix) THEN
            RETURN;
        END IF;
        pos := CASE WHEN dlen > 0 THEN strpos(substr(r.key, plen + 1), delim) ELSE 0 END;
        IF pos > 0 THEN
            key := NULL;
            cp := left(r.key, plen + pos - 1 + dlen);
            size := NULL;
            etag := NULL;
            last_modified := NULL;
            checksum_algorithm := NULL;
            RETURN NEXT;
            n := n + 1;
            start_key := floe_prefix_end(cp); -- NULL: nothing sorts after cp
            CONTINUE;
        END IF;
        -- A plain key: stream keys from it until one rolls up.
        start_key := NULL;
        FOR r IN SELECT o.key, o.size, o.etag, o.last_modified, o.checksum_algorithm FROM objects o
                WHERE o.bucket = b AND o.key >= r.key AND o.is_latest AND NOT o.delete_marker
                ORDER BY o.key LOOP
            IF NOT starts_with(r.key, prefix) THEN
                RETURN;
            END IF;
            pos := CASE WHEN dlen > 0 THEN strpos(substr(r.key, plen + 1), delim) ELSE 0 END;
            IF pos > 0 THEN
                start_key := r.key; -- the next probe finds it again
                EXIT;
            END IF;
            key := r.key;
            cp := NULL;
            size := r.size;
            etag := r.etag;
            last_modified := r.last_modified;
            checksum_algorithm := r.checksum_algorithm;
            RETURN NEXT;
            n := n + 1;
            IF n >= lim THEN
                RETURN;
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- floe_list_versions returns up to lim entries of a version listing of
-- bucket b: versions and delete markers (cp NULL) by key, newest first,
-- and common prefixes (only cp set), among keys starting with prefix,
-- rolled up at delim. The listing starts at start_key (inclusive); when
-- start_seq is set, only the versions of start_key older than start_seq
-- come first, then the keys after it. It walks the way floe_list does:
-- seek to a key, stream versions until one rolls up, skip the common
-- prefix with one seek.
CREATE FUNCTION floe_list_versions(b text, start_key text, start_seq bigint, prefix text, delim text, lim int)
RETURNS TABLE (key text, cp text, version_id text, is_latest boolean, delete_marker boolean,
               size bigint, etag text, last_modified timestamptz, seq bigint, checksum_algorithm text)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    plen int := length(prefix);
    dlen int := length(delim);
    n int := 0;
    pos int;
    r record;
BEGIN
    IF start_seq IS NOT NULL THEN
        -- The rest of start_key's versions (it does not roll up: the
        -- caller resumes after a common prefix without a seq).
        FOR r IN SELECT o.key, o.version_id, o.is_latest, o.delete_marker, o.size, o.etag, o.last_modified, o.seq, o.checksum_algorithm
                FROM objects o WHERE o.bucket = b AND o.key = start_key AND o.seq < start_seq
                ORDER BY o.seq DESC LOOP
            IF n >= lim THEN
                RETURN;
            END IF;
            key := r.key; cp := NULL; version_id := r.version_id; is_latest := r.is_latest;
            delete_marker := r.delete_marker; size := r.size; etag := r.etag;
            last_modified := r.last_modified; seq := r.seq; checksum_algorithm := r.checksum_algorithm;
            RETURN NEXT;
            n := n + 1;
        END LOOP;
        start_key := start_key || chr(1); -- the least key after start_key
    END IF;
    WHILE n < lim AND start_key IS NOT NULL LOOP
        SELECT o.key INTO r FROM objects o
        WHERE o.bucket = b AND o.key >= start_key ORDER BY o.key LIMIT 1;
        IF NOT FOUND OR NOT starts_with(r.key, prefix) THEN
            RETURN;
        END IF;
        pos := CASE WHEN dlen > 0 THEN strpos(substr(r.key, plen + 1), delim) ELSE 0 END;
        IF pos > 0 THEN
            key := NULL; cp := left(r.key, plen + pos - 1 + dlen); version_id := NULL;
            is_latest := NULL; delete_marker := NULL; size := NULL; etag := NULL;
            last_modified := NULL; seq := NULL; checksum_algorithm := NULL;
            RETURN NEXT;
            n := n + 1;
            start_key := floe_prefix_end(cp);
            CONTINUE;
        END IF;
        start_key := NULL;
        FOR r IN SELECT o.key, o.version_id, o.is_latest, o.delete_marker, o.size, o.etag, o.last_modified, o.seq, o.checksum_algorithm
                FROM objects o WHERE o.bucket = b AND o.key >= r.key
                ORDER BY o.key, o.seq DESC LOOP
            IF NOT starts_with(r.key, prefix) THEN
                RETURN;
            END IF;
            pos := CASE WHEN dlen > 0 THEN strpos(substr(r.key, plen + 1), delim) ELSE 0 END;
            IF pos > 0 THEN
                start_key := r.key;
                EXIT;
            END IF;
            key := r.key; cp := NULL; version_id := r.version_id; is_latest := r.is_latest;
            delete_marker := r.delete_marker; size := r.size; etag := r.etag;
            last_modified := r.last_modified; seq := r.seq; checksum_algorithm := r.checksum_algorithm;
            RETURN NEXT;
            n := n + 1;
            IF n >= lim THEN
                RETURN;
            END IF;
        END LOOP;
    END LOOP;
END
$$;
