-- 0011_users: users own access keys and buckets; buckets get a policy and
-- a public access block.
--
-- A user is what S3 calls an account: it owns its buckets (and, as under
-- S3's default BucketOwnerEnforced ownership, every object in them) and
-- reaches other users' buckets only where their bucket policies let it.
-- canonical_id is the user's canonical ID in S3 listings and ACLs: random,
-- so a user recreated under an old name is not its predecessor.
--
-- Everything that existed before belongs to the user "admin", which every
-- key could act as until now.
CREATE TABLE users (
    name         text PRIMARY KEY CHECK (name <> ''),
    canonical_id text NOT NULL UNIQUE CHECK (canonical_id ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO users (name, canonical_id)
VALUES ('admin', encode(sha256(convert_to(gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')), 'hex'));

-- Deleting a user deletes its keys; buckets must be deleted or handed
-- over first (no cascade: that would orphan their objects' blobs).
ALTER TABLE access_keys ADD COLUMN user_name text NOT NULL DEFAULT 'admin' REFERENCES users (name) ON DELETE CASCADE;
ALTER TABLE access_keys ALTER COLUMN user_name DROP DEFAULT;

ALTER TABLE buckets ADD COLUMN owner text NOT NULL DEFAULT 'admin' REFERENCES users (name);
ALTER TABLE buckets ALTER COLUMN owner DROP DEFAULT;
CREATE INDEX buckets_owner ON buckets (owner, name);

-- The bucket policy as the owner sent it (the gateway validated it), and
-- the PublicAccessBlock configuration (JSON of four booleans); NULL when
-- the bucket has none.
ALTER TABLE buckets ADD COLUMN policy text;
ALTER TABLE buckets ADD COLUMN public_access_block jsonb;
