-- 0008_tagging: S3 object and bucket tags. An object version's tags, and
-- a multipart upload's (given to the object when it completes), are a
-- JSON object of key to value; '{}' is no tags. A bucket's tag set is
-- NULL when it has none, which S3 tells apart from an empty set only in
-- that GetBucketTagging answers NoSuchTagSet; Floe stores an empty set as
-- NULL too. The limits (10 tags per object, 50 per bucket, key and value
-- lengths) are checked by the gateway, as S3 reports them.

ALTER TABLE objects ADD COLUMN tags jsonb NOT NULL DEFAULT '{}';
ALTER TABLE multipart_uploads ADD COLUMN tags jsonb NOT NULL DEFAULT '{}';
ALTER TABLE buckets ADD COLUMN tags jsonb;
