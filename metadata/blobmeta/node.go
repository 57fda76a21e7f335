package blobmeta

// Node is a storage node as a blob's placement names it.
type Node struct {
	ID   string // stable identity; placement scores derive from it, not from Addr
	Addr string // host:port of the node's HTTP API
	// Suspect marks a node that missed its recent heartbeats, as the
	// metadata store reports a blob's placement: readers ask it only when
	// the other nodes cannot serve a stripe. Placement ignores it.
	Suspect bool
}
