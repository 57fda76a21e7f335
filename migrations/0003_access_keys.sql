-- 0003_access_keys: the S3 access keys requests are signed with.
--
-- The secret is stored as it is, not hashed: a SigV4 signature is an HMAC
-- keyed by (a key derived from) the secret, so the gateway needs the secret
-- itself to recompute it. Anyone who can read this table can sign requests;
-- protect the database accordingly.
CREATE TABLE access_keys (
    access_key_id text PRIMARY KEY CHECK (access_key_id <> ''),
    secret_key    text NOT NULL CHECK (secret_key <> ''),
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
