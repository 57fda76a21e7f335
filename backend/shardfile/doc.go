// Package shardfile stores erasure-coded shards as files on a node's local
// disk.
//
// A shard file holds shard idx of blob id and is named "<id hex>.<idx>". Its
// layout puts the data first, so a shard can be written while it streams in
// without knowing its length:
//
//	[shard data: shardLen bytes]
//	[block table: nblocks entries of (32-byte BLAKE3 block hash, 4-byte big-endian CRC32C)]
//	[manifest: blobmeta.Manifest.Marshal() bytes]
//	[tail: TailSize bytes, see below]
//
// The shard is cut into blocks of the blob layout's BlockSize (the last
// block may be shorter); block s is the piece of stripe s. The tail is
//
//	offset size  field
//	 0     8     magic "FLOESHD1"
//	 8     2     format version (1)
//	10     2     reserved, zero
//	12     4     shard index
//	16     8     nblocks
//	24     8     shardLen
//	32     4     block size
//	36     4     manifest length
//	40     4     reserved, zero
//	44     4     CRC32C over block table, manifest and tail bytes 0..43
//
// all integers big-endian. Opening a shard checks the tail CRC, the sizes
// and the shard root (checked footers are cached per file); ReadRange checks
// each block's CRC32C before any of its bytes are returned (SendRange leaves
// that to its reader, for sendfile); Verify re-reads the
// footer and checks every block's BLAKE3 hash.
//
// On disk a store is
//
//	DIR/shards/<first 2 hex digits of id>/<id hex>.<idx>   durable shards
//	DIR/tmp/                                                writes in progress
//
// A shard becomes visible only by an atomic rename after its file is synced,
// so a crash leaves either the complete shard or nothing (plus a temp file,
// removed at the next Open).
package shardfile
