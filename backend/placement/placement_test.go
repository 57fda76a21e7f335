package placement

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// testNodes returns n nodes named like the addresses nodetest hands out.
func testNodes(n int) []blobmeta.Node {
	nodes := make([]blobmeta.Node, n)
	for i := range nodes {
		addr := fmt.Sprintf("127.0.0.%d:9001", 2+i)
		nodes[i] = blobmeta.Node{ID: addr, Addr: addr}
	}
	return nodes
}

// testKey returns the i-th placement key; real keys are 16-byte nonces.
func testKey(i int) []byte { return fmt.Appendf(nil, "blob-%08d", i) }

func TestPlace(t *testing.T) {
	tests := []struct {
		nodes, n int
	}{
		{1, 0}, {1, 1}, {3, 3}, {6, 6}, {8, 1}, {8, 6}, {8, 8}, {20, 14},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_of_%d", tt.n, tt.nodes), func(t *testing.T) {
			nodes := testNodes(tt.nodes)
			for k := range 100 {
				got, err := Place(testKey(k), nodes, tt.n)
				if err != nil {
					t.Fatalf("Place: %v", err)
				}
				if len(got) != tt.n {
					t.Fatalf("Place returned %d nodes, want %d", len(got), tt.n)
				}
				seen := map[string]bool{}
				for _, nd := range got {
					if seen[nd.ID] {
						t.Fatalf("key %d: node %s placed twice in %v", k, nd.ID, got)
					}
					seen[nd.ID] = true
					if !slices.Contains(nodes, nd) {
						t.Fatalf("key %d: placed on unknown node %v", k, nd)
					}
				}
			}
		})
	}
}

func TestPlaceDeterministic(t *testing.T) {
	nodes := testNodes(8)
	rng := rand.New(rand.NewPCG(7, 8))
	for k := range 200 {
		key := testKey(k)
		want, err := Place(key, nodes, 6)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := slices.Clone(nodes)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := Place(key, shuffled, 6)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("key %d: order of input changed placement: %v vs %v", k, got, want)
		}
	}
}

// TestPlaceByIDNotAddr checks that scores follow the stable ID, so a node
// that moves to a new address keeps its blobs.
func TestPlaceByIDNotAddr(t *testing.T) {
	nodes := testNodes(8)
	moved := slices.Clone(nodes)
	for i := range moved {
		moved[i].Addr = fmt.Sprintf("10.0.0.%d:80", i)
	}
	for k := range 100 {
		a, _ := Place(testKey(k), nodes, 6)
		b, _ := Place(testKey(k), moved, 6)
		for i := range a {
			if a[i].ID != b[i].ID {
				t.Fatalf("key %d shard %d: %s with old addresses, %s with new", k, i, a[i].ID, b[i].ID)
			}
		}
	}
}

func TestPlaceErrors(t *testing.T) {
	nodes := testNodes(4)
	tests := []struct {
		name      string
		nodes     []blobmeta.Node
		n         int
		notEnough bool
	}{
		{"no nodes", nil, 1, true},
		{"one short", nodes, 5, true},
		{"far short", nodes[:1], 6, true},
		{"negative n", nodes, -1, false},
		{"duplicate ID", append(slices.Clone(nodes), blobmeta.Node{ID: nodes[2].ID, Addr: "10.0.0.1:1"}), 2, false},
		{"duplicate node", append(slices.Clone(nodes), nodes[0]), 2, false},
		{"empty ID", append(slices.Clone(nodes), blobmeta.Node{Addr: "10.0.0.1:1"}), 2, false},
		// Duplicates must not count towards n, or two shards could share a node.
		{"duplicates hide shortage", append(slices.Clone(nodes), nodes[0]), 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place([]byte("key"), tt.nodes, tt.n)
			if err == nil {
				t.Fatalf("Place succeeded with %v", got)
			}
			if errors.Is(err, ErrNotEnoughNodes) != tt.notEnough {
				t.Errorf("Place = %v, want ErrNotEnoughNodes: %v", err, tt.notEnough)
			}
		})
	}
}

func TestPlaceDistribution(t *testing.T) {
	const keys = 10000
	nodes := testNodes(8)
	first := map[string]int{}
	all := map[string]int{}
	for k := range keys {
		got, err := Place(testKey(k), nodes, 6)
		if err != nil {
			t.Fatal(err)
		}
		first[got[0].ID]++
		for _, nd := range got {
			all[nd.ID]++
		}
	}
	tests := []struct {
		name   string
		counts map[string]int
		total  int
	}{
		{"first shard", first, keys},
		{"any shard", all, keys * 6},
	}
	for _, tt := range tests {
		mean := float64(tt.total) / float64(len(nodes))
		for _, nd := range nodes {
			if c := float64(tt.counts[nd.ID]); c < 0.8*mean || c > 1.2*mean {
				t.Errorf("%s: node %s got %v of %d, mean %.0f (±20%%)", tt.name, nd.ID, c, tt.total, mean)
			}
		}
	}
}

func TestPlaceMinimalDisruption(t *testing.T) {
	const keys, n = 3000, 6
	nodes := testNodes(8)
	for gone := range nodes {
		t.Run(nodes[gone].ID, func(t *testing.T) {
			rest := slices.Delete(slices.Clone(nodes), gone, gone+1)
			moved := 0
			for k := range keys {
				before, err := Place(testKey(k), nodes, n)
				if err != nil {
					t.Fatal(err)
				}
				after, err := Place(testKey(k), rest, n)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(before, nodes[gone]) {
					if !slices.Equal(before, after) {
						t.Fatalf("key %d did not use %s but moved: %v -> %v", k, nodes[gone].ID, before, after)
					}
					continue
				}
				// The survivors keep their relative order and the next
				// best node takes the last place.
				moved++
				survivors := slices.DeleteFunc(slices.Clone(before), func(nd blobmeta.Node) bool { return nd == nodes[gone] })
				if !slices.Equal(after[:n-1], survivors) || slices.Contains(before, after[n-1]) {
					t.Fatalf("key %d: %v -> %v, want survivors %v then a new node", k, before, after, survivors)
				}
			}
			// With 6 of 8 nodes per key, about 3/4 of the keys used any one node.
			if want := keys * n / len(nodes); moved < want*8/10 || moved > want*12/10 {
				t.Errorf("%d keys affected, want about %d", moved, want)
			}
		})
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name       string
		key1, id1  string
		key2, id2  string
		wantEquals bool
	}{
		{"same inputs", "k", "n1", "k", "n1", true},
		{"different key", "k1", "n1", "k2", "n1", false},
		{"different id", "k", "n1", "k", "n2", false},
		{"key/id boundary", "ab", "c", "a", "bc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq := Score([]byte(tt.key1), tt.id1) == Score([]byte(tt.key2), tt.id2)
			if eq != tt.wantEquals {
				t.Errorf("equal scores = %v, want %v", eq, tt.wantEquals)
			}
		})
	}
}
