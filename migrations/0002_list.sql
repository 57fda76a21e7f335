-- 0002_list: listing with a delimiter moves into one server-side function
-- that streams runs of plain keys with an index scan; the recursive query
-- it replaces probed the index once per key, ten times slower for a folder
-- of files. floe_common_prefix (0001) is no longer used by this version
-- but stays, for gateways of the previous version during an upgrade.

-- floe_list returns up to lim entries of a listing of bucket b: keys
-- (cp NULL) and common prefixes (only cp set) in byte order, from
-- start_key (inclusive) on, among keys starting with prefix, rolled up at
-- delim. Keys under a common prefix are skipped by seeking to
-- floe_prefix_end of the prefix, never read, so an entry costs the same
-- whatever the bucket's size. A seek is a one-row probe; only when it lands
-- on a plain key does a scan start, which then streams keys until one
-- rolls up into a common prefix. metadata.ListObjects calls it; the
-- metadata tests check it against a brute-force S3 listing.
CREATE FUNCTION floe_list(b text, start_key text, prefix text, delim text, lim int)
RETURNS TABLE (key text, cp text, size bigint, etag text, last_modified timestamptz)
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
        WHERE o.bucket = b AND o.key >= start_key ORDER BY o.key LIMIT 1;
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
            RETURN NEXT;
            n := n + 1;
            start_key := floe_prefix_end(cp); -- NULL: nothing sorts after cp
            CONTINUE;
        END IF;
        -- A plain key: stream keys from it until one rolls up.
        start_key := NULL;
        FOR r IN SELECT o.key, o.size, o.etag, o.last_modified FROM objects o
                WHERE o.bucket = b AND o.key >= r.key ORDER BY o.key LOOP
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
            RETURN NEXT;
            n := n + 1;
            IF n >= lim THEN
                RETURN;
            END IF;
        END LOOP;
    END LOOP;
END
$$;
