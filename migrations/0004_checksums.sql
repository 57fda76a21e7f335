-- 0004_checksums: S3 additional checksums (x-amz-checksum-*), stored with
-- objects, their parts, multipart uploads and their parts.
--
-- An object's checksum is its algorithm (CRC32, CRC32C, CRC64NVME, SHA1,
-- SHA256), its value as S3 sends it (standard base64 of the digest, plus
-- "-N" for a composite checksum of N parts) and its type: FULL_OBJECT, a
-- checksum of all the bytes, or COMPOSITE, a checksum of the parts'
-- checksums. A part's checksum is its value in the object's (or upload's)
-- algorithm. Rows written before this migration have none (NULL).
--
-- The constraints are NOT VALID: every existing row is NULL and passes
-- them, and skipping the validation scan keeps the ACCESS EXCLUSIVE lock
-- these ALTERs take short on a large table. New rows are checked.

ALTER TABLE objects
    ADD COLUMN checksum_algorithm text,
    ADD COLUMN checksum text,
    ADD COLUMN checksum_type text;
-- IS TRUE: a NULL among three set columns must fail the check, not pass.
ALTER TABLE objects ADD CONSTRAINT objects_checksum_check CHECK (
    (checksum_algorithm IN ('CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256')
     AND checksum_type IN ('FULL_OBJECT', 'COMPOSITE')
     AND checksum <> '') IS TRUE
    OR checksum_algorithm IS NULL AND checksum IS NULL AND checksum_type IS NULL) NOT VALID;

ALTER TABLE object_parts ADD COLUMN checksum text;

-- The algorithm and type a CreateMultipartUpload declared; NULL when it
-- declared none (its parts then carry CRC64NVME, S3's default).
ALTER TABLE multipart_uploads
    ADD COLUMN checksum_algorithm text,
    ADD COLUMN checksum_type text;
ALTER TABLE multipart_uploads ADD CONSTRAINT multipart_uploads_checksum_check CHECK (
    (checksum_algorithm IN ('CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256')
     AND checksum_type IN ('FULL_OBJECT', 'COMPOSITE')) IS TRUE
    OR checksum_algorithm IS NULL AND checksum_type IS NULL) NOT VALID;

ALTER TABLE upload_parts ADD COLUMN checksum text;
