package console

import (
	"context"
	"strconv"
	"time"

	"github.com/floe-s3/floe/metadata"
)

// clusterView is the answer of api/cluster.
type clusterView struct {
	Time   time.Time   `json:"time"`
	Nodes  []nodeView  `json:"nodes"`
	Repair repairView  `json:"repair"`
	Scrub  []scrubView `json:"scrub"`
}

// nodeView is a node's row: what `floe admin node list` shows.
type nodeView struct {
	ID              string    `json:"id"`
	Addr            string    `json:"addr"`
	State           string    `json:"state"`
	Since           time.Time `json:"since"`
	LastHeartbeat   time.Time `json:"lastHeartbeat"`
	CapacityBytes   int64     `json:"capacityBytes"`
	FreeBytes       int64     `json:"freeBytes"`
	Shards          int64     `json:"shards"`
	Bytes           int64     `json:"bytes"`
	MisplacedShards int64     `json:"misplacedShards"`
}

// repairView is the repair queue, as `floe admin repair status` shows it.
type repairView struct {
	Queued     int        `json:"queued"`
	InProgress int        `json:"inProgress"`
	Retrying   int        `json:"retrying"`
	Oldest     *time.Time `json:"oldest,omitempty"`
	// ByReadable maps readable shard counts (as strings: JSON keys) to
	// the queued blobs that have that many.
	ByReadable map[string]int `json:"byReadable"`
}

// scrubView is a node's scrub progress.
type scrubView struct {
	NodeID        string     `json:"nodeId"`
	Addr          string     `json:"addr"`
	Done          bool       `json:"done"` // the current pass has finished
	Progress      float64    `json:"progress"`
	PassStartedAt *time.Time `json:"passStartedAt,omitempty"`
	LastPassAt    *time.Time `json:"lastPassAt,omitempty"`
	Active        bool       `json:"active"` // a scrubber holds the node's lease now
	Checked       int64      `json:"checked"`
	Corrupt       int64      `json:"corrupt"`
	Missing       int64      `json:"missing"`
	Orphans       int64      `json:"orphans"`
}

// cluster gathers the cluster view.
func (h *Handler) cluster(ctx context.Context) (clusterView, error) {
	st := h.cfg.Store
	nodes, err := st.NodeUsage(ctx)
	if err != nil {
		return clusterView{}, err
	}
	rs, err := st.RepairStatus(ctx)
	if err != nil {
		return clusterView{}, err
	}
	sp, err := st.ListScrubProgress(ctx)
	if err != nil {
		return clusterView{}, err
	}
	now := time.Now()
	v := clusterView{Time: now.UTC(), Nodes: []nodeView{}, Scrub: []scrubView{},
		Repair: repairView{Queued: rs.Queued, InProgress: rs.InProgress, Retrying: rs.Retrying, Oldest: timePtr(rs.Oldest),
			ByReadable: map[string]int{}}}
	for k, n := range rs.ByReadable {
		v.Repair.ByReadable[strconv.Itoa(k)] = n
	}
	for _, n := range nodes {
		v.Nodes = append(v.Nodes, nodeView{ID: n.ID, Addr: n.Addr, State: n.State, Since: n.StateChangedAt.UTC(),
			LastHeartbeat: n.LastHeartbeat.UTC(), CapacityBytes: n.CapacityBytes, FreeBytes: n.FreeBytes,
			Shards: n.Shards, Bytes: n.Bytes, MisplacedShards: n.MisplacedShards})
	}
	for _, p := range sp {
		done := p.Cursor == metadata.ScrubPassDone
		v.Scrub = append(v.Scrub, scrubView{NodeID: p.NodeID, Addr: p.Addr, Done: done, Progress: p.PassFraction(),
			PassStartedAt: timePtr(p.PassStartedAt), LastPassAt: timePtr(p.LastPassAt), Active: p.ClaimedUntil.After(now),
			Checked: p.Checked, Corrupt: p.Corrupt, Missing: p.Missing, Orphans: p.Orphans})
	}
	return v, nil
}

// timePtr is t in UTC, or nil for the zero time (JSON: absent).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// trafficView is the answer of api/traffic: the gateway's cumulative
// counts and when they were read, for the page to turn into rates.
type trafficView struct {
	TimeMillis int64 `json:"timeMillis"`
	Requests   int64 `json:"requests"`
	BytesIn    int64 `json:"bytesIn"`
	BytesOut   int64 `json:"bytesOut"`
}

// traffic reads the gateway's traffic counters.
func (h *Handler) traffic() trafficView {
	var t trafficView
	if h.cfg.Traffic != nil {
		tr := h.cfg.Traffic()
		t = trafficView{Requests: tr.Requests, BytesIn: tr.BytesIn, BytesOut: tr.BytesOut}
	}
	t.TimeMillis = time.Now().UnixMilli()
	return t
}
