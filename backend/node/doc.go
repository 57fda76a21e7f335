// Package node is Floe's storage node: an HTTP server that keeps
// erasure-coded shards on local disk (see package shardfile), and the client
// the blob layer uses to talk to it.
//
// Every request is authenticated with the cluster secret:
//
//	X-Floe-Date: <unix seconds>
//	Authorization: FLOE-HMAC-SHA256 <hex HMAC-SHA256(secret, METHOD "\n" REQUEST-URI "\n" DATE)>
//
// where REQUEST-URI is the path and raw query as sent. Requests more than
// MaxClockSkew away from the node's clock are refused.
//
// The API:
//
//	POST   /v1/shards?index=N                  store a shard (body streamed, manifest in a trailer)
//	GET    /v1/shards/{id}/{idx}?offset=&length=&hashes=1&unchecked=1
//	HEAD   /v1/shards/{id}/{idx}
//	GET    /v1/shards/{id}/{idx}/info?verify=1
//	DELETE /v1/shards/{id}/{idx}
//	GET    /v1/shards?after=NAME&limit=N       list shards in name order
//	GET    /v1/health
//
// Errors carry a JSON body {"code","message"} and the code again in the
// X-Floe-Error header (HEAD responses have no body). A node keeps
// Config.Reserve bytes of its disk free: down to that, or when the disk
// fills mid-upload, a POST fails with 507 InsufficientStorage (ErrFull to
// the client) and nothing of the shard is kept; /v1/health reports as
// free_bytes only the space above the reserve.
package node
