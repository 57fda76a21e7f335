// Package metadata keeps Floe's metadata in PostgreSQL: buckets, objects and
// their parts, the blobs that hold the parts' bytes and where their shards
// are, storage nodes, write intents and the queue of blobs to delete.
//
// Store is the interface the gateway uses; Postgres implements it over a
// pgx connection pool. Open applies the schema migrations of package
// migrations (see Migrate).
//
// # Blob lifecycle
//
// A blob is owned by exactly one object part (or, later, upload part); a
// unique index enforces it, so deleting one object can never free another's
// bytes. A write goes:
//
//  1. RecordIntent(nonce, nodes) before any shard is written;
//  2. the blob is written; SetIntentBlob(nonce, id) once its ID is known;
//  3. PutObject(obj, nonces) commits the object and deletes the intents in
//     one transaction.
//
// Garbage collection finds writes that never reached step 3 with
// StaleIntents, which leases the intent: from then on PutObject refuses it
// (ErrIntentExpired), so the collector may delete the shards without racing
// a late commit. Blobs of replaced or deleted objects go to the deletion
// queue in the same transaction that drops the reference; ClaimDeletions
// leases them (FOR UPDATE SKIP LOCKED, so collectors never share work) and
// FinishDeletion drops the blob row once its shards are gone.
//
// # Listing
//
// Keys are stored with COLLATE "C", so key order is S3's UTF-8 byte order
// and ListObjects pages with index scans on (bucket, key). With a
// delimiter, the keys under a common prefix are skipped by seeking past the
// prefix, never by reading them, so a page costs the same whatever the
// bucket's size (see BenchmarkListObjects).
package metadata
