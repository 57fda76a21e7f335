-- 0007_object_lock: S3 Object Lock. A version may carry a retention (a
-- mode and a retain-until date) and a legal hold; while either holds, the
-- version cannot be deleted, and its blobs cannot be detached from it.
--
-- The database enforces this itself, with triggers, so that no code path
-- (DeleteObject, DeleteObjects, lifecycle, a future one) can forget the
-- check, and so that the clock it is checked against is PostgreSQL's,
-- inside the transaction that deletes: now() is the transaction's start,
-- so a retention ending while the transaction runs still holds. A
-- GOVERNANCE retention gives way only when the transaction has set
-- floe.bypass_governance to 'on' (set_config(..., true), local to it); a
-- COMPLIANCE retention never does, and can only be lengthened.
--
-- Refusals raise SQLSTATE FLK01 (metadata.ErrObjectLocked); a retention or
-- legal hold in a bucket without object lock raises FLK02
-- (metadata.ErrNoObjectLock).

ALTER TABLE buckets
    ADD COLUMN object_lock boolean NOT NULL DEFAULT false,
    -- The default retention of new versions, if the bucket has one.
    ADD COLUMN lock_default_mode text CHECK (lock_default_mode IN ('GOVERNANCE', 'COMPLIANCE')),
    ADD COLUMN lock_default_days int CHECK (lock_default_days > 0),
    ADD COLUMN lock_default_years int CHECK (lock_default_years > 0),
    ADD CONSTRAINT buckets_lock_default CHECK (
        (lock_default_mode IS NULL AND lock_default_days IS NULL AND lock_default_years IS NULL)
        OR (object_lock AND lock_default_mode IS NOT NULL
            AND (lock_default_days IS NULL) <> (lock_default_years IS NULL))),
    -- Object Lock needs every write to add a version.
    ADD CONSTRAINT buckets_lock_versioned CHECK (NOT object_lock OR versioning = 'Enabled');

ALTER TABLE objects
    ADD COLUMN lock_mode text CHECK (lock_mode IN ('GOVERNANCE', 'COMPLIANCE')),
    ADD COLUMN lock_until timestamptz,
    ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT objects_lock_pair CHECK ((lock_mode IS NULL) = (lock_until IS NULL));

-- What CreateMultipartUpload asked for, given to the object at completion.
ALTER TABLE multipart_uploads
    ADD COLUMN lock_mode text CHECK (lock_mode IN ('GOVERNANCE', 'COMPLIANCE')),
    ADD COLUMN lock_until timestamptz,
    ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT multipart_uploads_lock_pair CHECK ((lock_mode IS NULL) = (lock_until IS NULL));

-- floe_version_locked reports why a version may not be deleted or lose its
-- blobs, NULL if it may.
CREATE FUNCTION floe_version_locked(mode text, until timestamptz, hold boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN hold THEN 'a legal hold'
        WHEN until > now() AND mode = 'COMPLIANCE' THEN 'COMPLIANCE retention until ' || until
        WHEN until > now() AND current_setting('floe.bypass_governance', true) IS DISTINCT FROM 'on'
            THEN 'GOVERNANCE retention until ' || until
    END
$$;

CREATE FUNCTION floe_guard_version_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    why text := floe_version_locked(OLD.lock_mode, OLD.lock_until, OLD.legal_hold);
BEGIN
    IF why IS NOT NULL THEN
        RAISE EXCEPTION 'version % of %/% is protected by %', OLD.version_id, OLD.bucket, OLD.key, why
            USING ERRCODE = 'FLK01';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER objects_guard_delete BEFORE DELETE ON objects
    FOR EACH ROW WHEN (OLD.legal_hold OR OLD.lock_until IS NOT NULL)
    EXECUTE FUNCTION floe_guard_version_delete();

-- A locked version's parts stay: deleting them first (as deleteVersion
-- does, to queue their blobs) is refused as the version's own deletion is.
-- Once per statement, over the parts it deleted, so deleting a
-- 10,000-part object costs one check, not 10,000. (Parts deleted by the
-- cascade from their object's row find no object here; that row's own
-- trigger has guarded it.)
CREATE FUNCTION floe_guard_part_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT o.bucket, o.key, o.version_id, floe_version_locked(o.lock_mode, o.lock_until, o.legal_hold) AS why INTO r
    FROM (SELECT DISTINCT bucket, key, version_id FROM gone_parts) g
    JOIN objects o USING (bucket, key, version_id)
    WHERE (o.legal_hold OR o.lock_until IS NOT NULL)
        AND floe_version_locked(o.lock_mode, o.lock_until, o.legal_hold) IS NOT NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'version % of %/% is protected by %', r.version_id, r.bucket, r.key, r.why
            USING ERRCODE = 'FLK01';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER object_parts_guard_delete AFTER DELETE ON object_parts
    REFERENCING OLD TABLE AS gone_parts
    FOR EACH STATEMENT EXECUTE FUNCTION floe_guard_part_delete();

-- An active COMPLIANCE retention may only be lengthened. An active
-- GOVERNANCE one may be lengthened by anyone; shortening, removing it or
-- changing its mode (even to COMPLIANCE) overrides it and needs the
-- bypass.
CREATE FUNCTION floe_guard_retention_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    weakened boolean := NEW.lock_until IS NULL OR NEW.lock_until < OLD.lock_until
        OR NEW.lock_mode IS DISTINCT FROM OLD.lock_mode;
BEGIN
    IF OLD.lock_until > now() AND weakened
        AND (OLD.lock_mode = 'COMPLIANCE'
             OR current_setting('floe.bypass_governance', true) IS DISTINCT FROM 'on') THEN
        RAISE EXCEPTION 'version % of %/% keeps its % retention until %', OLD.version_id, OLD.bucket, OLD.key,
            OLD.lock_mode, OLD.lock_until USING ERRCODE = 'FLK01';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER objects_guard_retention BEFORE UPDATE OF lock_mode, lock_until ON objects
    FOR EACH ROW WHEN (OLD.lock_until IS NOT NULL)
    EXECUTE FUNCTION floe_guard_retention_update();

-- Only a bucket with object lock holds protected versions: elsewhere a
-- retention would, say, make every overwrite of an unversioned key fail.
CREATE FUNCTION floe_guard_lock_bucket() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM buckets WHERE name = NEW.bucket AND object_lock) THEN
        RAISE EXCEPTION 'bucket % has no object lock configuration', NEW.bucket USING ERRCODE = 'FLK02';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER objects_guard_lock_bucket BEFORE INSERT OR UPDATE OF lock_mode, lock_until, legal_hold ON objects
    FOR EACH ROW WHEN (NEW.lock_mode IS NOT NULL OR NEW.legal_hold)
    EXECUTE FUNCTION floe_guard_lock_bucket();
CREATE TRIGGER multipart_uploads_guard_lock_bucket BEFORE INSERT ON multipart_uploads
    FOR EACH ROW WHEN (NEW.lock_mode IS NOT NULL OR NEW.legal_hold)
    EXECUTE FUNCTION floe_guard_lock_bucket();
