package metadata

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// ReasonRebalance is the repair reason of shards Rebalance marks.
const ReasonRebalance = "rebalance"

// RebalanceNode is one alive node in a rebalance plan.
type RebalanceNode struct {
	ID   string
	Load int64 // shards, or bytes as NodeUsage.Bytes counts them
	// Marked shards (and their load) are flagged misplaced, for repair to
	// move to less loaded nodes; zero for nodes under the threshold.
	Marked     int
	MarkedLoad int64
	pending    int64 // load of shards already misplaced
}

// RebalancePlan is what Rebalance did, or would do on a dry run.
type RebalancePlan struct {
	ByBytes bool
	Average float64 // load per alive node
	Limit   float64 // loads above it shed their excess over Average
	// Floor is Average less the tolerance. If some node is below it
	// (Filling), every node above Average sheds its excess, not only
	// those above Limit: a node added to ten equal ones leaves each old
	// node only 10% above the new average.
	Floor   float64
	Filling bool
	Nodes   []RebalanceNode // alive nodes, most loaded first
}

// Marked is the number of shards the plan flags as misplaced.
func (p RebalancePlan) Marked() int {
	n := 0
	for _, nd := range p.Nodes {
		n += nd.Marked
	}
	return n
}

// Rebalance marks shards misplaced on alive nodes loaded more than
// tolerance above the average (shards, or bytes if byBytes), or above
// it at all if some node is more than tolerance below it, so that
// repair moves them; dryRun only computes the plan.
//
// Only alive nodes take part: dead and draining nodes shed everything
// through repair anyway, and suspect ones may be on their way out. On a node
// whose load (shard count, or bytes if byBytes) exceeds the average by more
// than tolerance (0.1 = 10%) — or by anything, if some node is more than
// tolerance below it —, counting shards already misplaced as gone, healthy
// shards of blobs not being deleted are marked misplaced, in blob order,
// until the marked load would pass the node's excess over the average; their
// blobs are queued for repair. Only blobs with no shard on some node below
// the average qualify: for the others repair could only pick another loaded
// node. A dry run computes the same plan in a transaction it rolls back.
func (s *Postgres) Rebalance(ctx context.Context, byBytes bool, tolerance float64, dryRun bool) (RebalancePlan, error) {
	plan := RebalancePlan{ByBytes: byBytes}
	if tolerance < 0 {
		return plan, fmt.Errorf("metadata: rebalance: negative tolerance %v", tolerance)
	}
	usage, err := s.NodeUsage(ctx)
	if err != nil {
		return plan, fmt.Errorf("metadata: rebalance: %w", err)
	}
	var total int64
	for _, u := range usage {
		if u.State != NodeAlive {
			continue
		}
		nd := RebalanceNode{ID: u.ID, Load: u.Shards, pending: u.MisplacedShards}
		if byBytes {
			nd.Load, nd.pending = u.Bytes, u.MisplacedBytes
		}
		total += nd.Load
		plan.Nodes = append(plan.Nodes, nd)
	}
	if len(plan.Nodes) == 0 {
		return plan, nil
	}
	sort.SliceStable(plan.Nodes, func(i, j int) bool { return plan.Nodes[i].Load > plan.Nodes[j].Load })
	plan.Average = float64(total) / float64(len(plan.Nodes))
	plan.Limit = plan.Average * (1 + tolerance)
	plan.Floor = plan.Average * (1 - tolerance)
	for _, nd := range plan.Nodes {
		plan.Filling = plan.Filling || float64(nd.Load) < plan.Floor
	}

	// Receivers: the nodes a moved shard should land on. A shard is worth
	// moving only if its blob has none on some receiver; otherwise repair
	// could only move it to another loaded node, which evens out nothing.
	var receivers []string
	for _, nd := range plan.Nodes {
		if float64(nd.Load) < plan.Average {
			receivers = append(receivers, nd.ID)
		}
	}

	errRollback := errors.New("dry run")
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for i := range plan.Nodes {
			nd := &plan.Nodes[i]
			// Shards already misplaced are on their way out.
			excess := int64(float64(nd.Load-nd.pending) - plan.Average)
			if (float64(nd.Load) <= plan.Limit && !plan.Filling) || excess < 1 {
				continue
			}
			err := tx.QueryRow(ctx, markMisplaced, nd.ID, excess, byBytes, ReasonRebalance, receivers).Scan(&nd.Marked, &nd.MarkedLoad)
			if err != nil {
				return fmt.Errorf("mark shards of %s: %w", nd.ID, err)
			}
		}
		if dryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return plan, fmt.Errorf("metadata: rebalance: %w", err)
	}
	return plan, nil
}

// markMisplaced marks healthy shards on node $1 misplaced, in blob order,
// as long as their total cost ($3: bytes as NodeUsage counts them, else 1
// each) stays within $2, skipping blobs with a shard already not ok and
// blobs with a shard on every receiver node ($5); it queues their blobs
// with reason $4, and returns how many shards it marked and their cost.
const markMisplaced = `
	WITH c AS (
		SELECT s.blob_id, s.idx,
			CASE WHEN $3 THEN b.size / (SELECT count(*) FROM shards x WHERE x.blob_id = s.blob_id) ELSE 1 END AS cost
		FROM shards s JOIN blobs b ON b.id = s.blob_id
		WHERE s.node_id = $1 AND s.state = 'ok'
			AND NOT EXISTS (SELECT 1 FROM deletion_queue d WHERE d.blob_id = s.blob_id)
			-- One move per blob at a time: repair can always find a node
			-- for it that holds none of the blob's other shards.
			AND NOT EXISTS (SELECT 1 FROM shards o WHERE o.blob_id = s.blob_id AND o.state <> 'ok')
			-- Some receiver holds nothing of the blob: repair can move the
			-- shard onto a node below the average.
			AND EXISTS (SELECT 1 FROM unnest($5::text[]) AS u(id)
				WHERE NOT EXISTS (SELECT 1 FROM shards o WHERE o.blob_id = s.blob_id AND o.node_id = u.id))),
	r AS (
		SELECT blob_id, idx, cost, sum(cost) OVER (ORDER BY blob_id, idx) AS upto FROM c),
	m AS (
		UPDATE shards s SET state = 'misplaced' FROM r
		WHERE r.upto <= $2 AND s.blob_id = r.blob_id AND s.idx = r.idx AND s.node_id = $1
		RETURNING s.blob_id, r.cost),
	q AS (
		INSERT INTO repair_queue (blob_id, reason) SELECT DISTINCT blob_id, $4 FROM m
		ON CONFLICT (blob_id) DO NOTHING)
	SELECT count(*), COALESCE(sum(cost), 0)::bigint FROM m`
