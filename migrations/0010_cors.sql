-- 0010_cors: a bucket's CORS configuration, as the gateway parsed it
-- (JSON of s3api/cors.Config), NULL when it has none.

ALTER TABLE buckets ADD COLUMN cors jsonb;
