package node

import (
	"net/http"
	"time"

	"github.com/floe-s3/floe/backend/shardfile"
)

// Header and trailer names of the node protocol.
const (
	HeaderDate          = "X-Floe-Date"
	HeaderError         = "X-Floe-Error"
	HeaderBlockSize     = "X-Floe-Block-Size"
	HeaderShardLength   = "X-Floe-Shard-Length"
	HeaderHashesLength  = "X-Floe-Hashes-Length"
	HeaderCRCsLength    = "X-Floe-CRCs-Length"
	HeaderShardRoot     = "X-Floe-Shard-Root"
	HeaderBlobSize      = "X-Floe-Blob-Size"
	TrailerManifest     = "X-Floe-Manifest"
	authScheme          = "FLOE-HMAC-SHA256"
	contentTypeJSON     = "application/json"
	contentTypeOctets   = "application/octet-stream"
	defaultListLimit    = 1000
	maxListLimit        = 10000
	maxErrorBody        = 64 << 10
	maxJSONResponseBody = 16 << 20
)

// MaxClockSkew is how far a request's X-Floe-Date may be from the node's
// clock. It bounds how long a captured request can be replayed.
const MaxClockSkew = 5 * time.Minute

// MaxShardBody bounds the body of a shard upload.
const MaxShardBody = 64 << 30

// MaxBlockSize bounds the X-Floe-Block-Size of an upload.
const MaxBlockSize = shardfile.MaxBlockSize

// Error codes, sent in the X-Floe-Error header and the JSON error body.
const (
	CodeUnauthorized         = "Unauthorized"
	CodeRequestTimeTooSkewed = "RequestTimeTooSkewed"
	CodeNotFound             = "NotFound"
	CodeMethodNotAllowed     = "MethodNotAllowed"
	CodeShardCorrupt         = "ShardCorrupt"
	CodeBadDigest            = "BadDigest"
	CodeBadRequest           = "BadRequest"
	CodeInvalidRange         = "InvalidRange"
	CodeConflict             = "Conflict"
	CodeInsufficientStorage  = "InsufficientStorage"
	CodeInternal             = "Internal"
)

// codeStatus is the HTTP status of each error code.
var codeStatus = map[string]int{
	CodeUnauthorized:         http.StatusUnauthorized,
	CodeRequestTimeTooSkewed: http.StatusUnauthorized,
	CodeNotFound:             http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeShardCorrupt:         http.StatusUnprocessableEntity,
	CodeBadDigest:            http.StatusBadRequest,
	CodeBadRequest:           http.StatusBadRequest,
	CodeInvalidRange:         http.StatusRequestedRangeNotSatisfiable,
	CodeConflict:             http.StatusConflict,
	CodeInsufficientStorage:  http.StatusInsufficientStorage,
	CodeInternal:             http.StatusInternalServerError,
}

// errorBody is the JSON body of an error response.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// putResponse is the JSON body of a successful upload.
type putResponse struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
	Size  int64  `json:"size"`
}

// infoResponse is the JSON body of GET .../info.
type infoResponse struct {
	ID       string    `json:"id"`
	Index    int       `json:"index"`
	Size     int64     `json:"size"`
	BlobSize int64     `json:"blob_size"`
	Root     string    `json:"root"`
	Manifest []byte    `json:"manifest"` // base64 (std) in JSON
	ModTime  time.Time `json:"mod_time"`
	Verified bool      `json:"verified"`
}

// listEntry is one shard of a list response.
type listEntry struct {
	ID      string    `json:"id"`
	Index   int       `json:"index"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// listResponse is the JSON body of GET /v1/shards.
type listResponse struct {
	Shards []listEntry `json:"shards"`
	Next   string      `json:"next"`
}

// healthResponse is the JSON body of GET /v1/health.
type healthResponse struct {
	NodeID          string   `json:"node_id"`
	CapacityBytes   int64    `json:"capacity_bytes"`
	FreeBytes       int64    `json:"free_bytes"`    // available above the reserve
	ReserveBytes    int64    `json:"reserve_bytes"` // kept free, never filled with shards
	ShardCount      int64    `json:"shard_count"`
	CorruptDetected int64    `json:"corrupt_detected"`
	CorruptShards   []string `json:"corrupt_shards"`
}
