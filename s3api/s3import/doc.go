// Package s3import copies buckets from any S3 server (AWS, MinIO, Garage,
// another Floe) into Floe, through Floe's S3 API: every byte goes through
// the gateway's real write path, authentication and checksum checks, never
// into the metadata tables directly. `floe import` is its command line.
//
// # Listing and the work queue
//
// For each bucket pair (source bucket → destination bucket) one lister
// pages through the source: ListObjectsV2 for a bucket without versioning,
// ListObjectVersions (versions and delete markers of a key merged and
// replayed oldest first) for one with versioning enabled or suspended, in
// which case the destination bucket gets versioning enabled. Each page's
// keys are looked up in the progress table in one query; what is already
// done and unchanged is counted as skipped, the rest goes as one work item
// per key (all its pending versions, in order) onto a channel that
// Config.Workers workers drain. A key's versions are copied by one worker in
// order, so the destination's version order is the source's; a failed
// version stops its key, so no later version overtakes it.
//
// # Progress table
//
// Progress is kept in Floe's own PostgreSQL (table import_objects,
// migration 0012; see the metadata package's Import* methods): one row per
// source version (version ” for unversioned buckets), whose state is
// copying from just before a copy writes anything, then done once the
// destination acknowledged and verified it, or failed after the last
// retry. An unversioned key is unchanged when its done row has the listed
// ETag, size and last-modified time; a version, once done, is never copied
// again. The row's copies column counts finished copies, so "nothing was
// copied twice" can be checked.
//
// # Resume
//
// A run killed at any moment leaves at most Workers rows in copying. When
// a later run reaches one, it first aborts the destination multipart
// upload the row names, if any; then it asks the destination whether the
// write landed after all (the run may have died between the destination's
// answer and the done mark): for an unversioned source, the destination
// object having the row's ETag and size; for a versioned one, the key's
// current destination version differing from the version the previous
// source version became, and matching (same ETag and size, or both delete
// markers). If so the row is marked done without copying; otherwise the
// object is copied again from its first byte.
//
// # Streaming and verification
//
// Bodies are never held whole: a source GET body streams straight into the
// destination PUT or UploadPart (UNSIGNED-PAYLOAD, a known Content-Length,
// no seeking), while an MD5 and a SHA-256 of what passed are computed. A
// single-part source (its ETag a plain MD5) goes as one PUT whose
// Content-MD5 is that ETag, so the gateway refuses any byte that differs,
// and the destination's ETag must equal the source's. A multipart source
// (ETag "md5-N") is copied with the same part layout, learnt with
// HeadObject PartNumber=1 (PartsCount) and read part by part with
// GetObject PartNumber=i, so each part's ETag is checked against the MD5
// computed while it streamed and the completed ETag must equal the
// source's. Where neither applies (a server that does not answer
// PartNumber, an ETag that is no MD5) the object goes as one PUT whose
// body carries the SHA-256 computed while it streamed as an
// x-amz-checksum-sha256 trailer (unsigned aws-chunked, framed here: the
// SDK sends trailers over HTTPS only), which the gateway checks before it
// commits and returns, to be compared with ours, as is the size; above
// 5 GiB it goes as parts of our own size, each checked by its ETag. A
// full-object checksum the source reports (x-amz-checksum-*) is sent
// along instead, so the gateway checks the bytes against it and keeps it.
//
// One run at a time may work on a bucket pair: a PostgreSQL advisory lock
// (released by the server when a killed run's connection drops) makes a
// second one fail at once.
//
// User metadata, Content-Type, Content-Encoding, Content-Disposition,
// Content-Language, Cache-Control, Expires and tags (fetched only when
// x-amz-tagging-count says there are any, sent as x-amz-tagging) are
// copied with the object. Transient failures are retried with backoff: by
// the SDK's retryer for each request that can be resent, and for a whole
// object copy (its body cannot be rewound) by this package.
package s3import
