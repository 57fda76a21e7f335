// Package blobmeta holds the description of a blob that the metadata store
// and the data path share: its ID and Manifest, its coding Params and the
// Node records of its placement.
//
// It is a leaf: it imports nothing of Floe. The metadata store keeps these
// records; the backend packages (blob, repair, scrub, gc, placement, codec)
// compute and act on them. Keeping the types here lets both import them
// while dependencies point one way, from backend/ to metadata/.
package blobmeta
