// Package metadata keeps Floe's metadata in PostgreSQL: buckets, objects and
// their parts, the blobs that hold the parts' bytes and where their shards
// are, storage nodes, write intents and the queue of blobs to delete.
//
// Postgres is the one implementation, over a pgx connection pool; Open
// applies the schema migrations of package migrations (see Migrate). There
// is no Store interface here: each consumer declares the few methods it
// uses, where it uses them (s3api's Catalog and KeyStore, gc.Store,
// repair.Store, scrub.Store, membership.Store), so a change to one
// consumer's needs touches one small interface, and fakes stay small.
// Blob IDs, manifests, coding parameters and node records, which the
// backend computes and this package stores, are in the leaf package
// blobmeta.
//
// # Blob lifecycle
//
// A blob is owned by exactly one object part or multipart upload part; a
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
//
// # Versions
//
// An objects row is one version of a key: its version_id (NullVersion or
// a NewVersionID), a seq from one sequence, is_latest and delete_marker.
// Every write of a key's versions (PutObject, CompleteUpload,
// DeleteObject, retention, legal hold, tags) first takes lockKeySQL: a
// share lock of the bucket row, then a per-key advisory lock, so versions
// of a key are written one at a time, seq order is commit order, and the
// bucket's versioning state holds still until the write commits. An
// unversioned or suspended bucket replaces the null version; an enabled
// one only adds. Listings of current objects read latest rows that are
// not delete markers; ListObjectVersions walks floe_list_versions.
//
// # Object Lock
//
// A version's retention and legal hold are columns; whether it may be
// deleted, lose its parts (and so its blobs) or have its retention
// shortened is decided by triggers (migration 0007) with PostgreSQL's
// clock, in the transaction that tries. Every deletion path meets them
// and gets ErrObjectLocked; GOVERNANCE gives way to a transaction-local
// bypass setting. ClaimDeletions never hands out a blob a version still
// holds.
//
// # Lifecycle runs
//
// A bucket with lifecycle rules has a lifecycle_runs row: a gateway's
// worker claims it with a lease (ClaimLifecycleRun), saves its place in
// the bucket's versions after each page (SaveLifecycleRun), and ends the
// run; a run whose lease runs out is resumed by the next claimer.
//
// # Nodes and their state machine
//
// Storage nodes register with UpsertNode and report through heartbeats
// (RecordHeartbeat). UpdateNodeStates runs the state machine on the
// database's clock, so gateways' clocks need not agree and any number of
// gateways may run it: alive → suspect after suspectAfter without a
// heartbeat, suspect → dead after deadAfter more (the node's blobs are
// queued for repair in the same transaction), suspect or dead → alive on a
// fresh heartbeat (a returning node's scrub pass restarts, and repairs
// waiting out a backoff are retried). Draining is set by an operator
// (SetNodeState) and never changed by the machine. Writes place shards on
// LiveNodes only: alive, heard from recently, with free space.
//
// # Shard health and the repair queue
//
// Each shards row has its own state apart from its node's: ok, corrupt
// (a scrub or a read found bad bytes), missing (the node does not have it)
// or misplaced (healthy, but rebalancing wants it elsewhere).
// SetShardState and EnqueueRepair put a blob on repair_queue; a dead node
// puts all of its blobs there. ClaimRepairs leases entries, the blobs with
// the fewest readable shards first, with FOR UPDATE SKIP LOCKED so that
// repairers on several gateways never share a blob; FinishRepair records
// the moved shards in one compare-and-set transaction that fails with
// ErrRepairConflict, changing nothing, if a shard is no longer where the
// repair read it or the blob is being deleted; FailRepair releases an entry
// for a later retry. A lease that runs out hands the entry out again.
//
// # Scrub leases
//
// scrub_progress holds, per node, the cursor of the scrubber's pass (a
// shard name; ScrubPassDone at the end), its counters and a lease.
// ClaimScrub leases one node to one scrubber, a node whose pass was just
// restarted first, then the least recently scrubbed; SaveScrub advances the
// cursor and renews the lease, failing with ErrScrubLeaseLost if another
// took it or the pass was restarted. NodeShards gives the rows to compare a
// page of the node's files against, and OrphanDeletable decides in one
// snapshot whether a file no row names may go: no write intent, deletion or
// repair may involve its blob.
//
// # Rebalance
//
// Rebalance does not move data itself: on alive nodes loaded more than a
// tolerance above the average (by shards or bytes) it marks healthy shards
// misplaced and queues their blobs, and repair copies them to a less
// loaded node as it does any shard that needs rewriting. Only blobs with
// no shard on some node below the average qualify, so repair always has
// somewhere better to put them. DeleteNode refuses to forget a node while
// shard rows name it, unless forced, and even then not while some blob
// would keep fewer than K readable shards elsewhere.
package metadata
