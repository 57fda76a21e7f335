package e2e

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
)

// TestSlowBodies runs a gateway with a 2 s body idle limit and a 1 KiB/s
// minimum rate: a body that stops and one that trickles a byte every
// 400 ms (never idle for 2 s) are both cut with 400 RequestTimeout, store
// nothing and leave no shard behind, while a slow but steady upload (8
// KiB/s for about 3 s) completes and reads back whole.
func TestSlowBodies(t *testing.T) {
	// Not parallel: measures body timeouts.
	cl := startCluster(t, "--body-idle-timeout", "2s", "--body-min-rate", "1KiB")
	cl.send(t, "PUT", "/slow", nil, nil)

	// cut sends the request head of a size-byte PUT, then feeds it with
	// send, and returns the answer and how long the body was open.
	cut := func(t *testing.T, key string, size int64, send func(conn net.Conn)) (int, string, time.Duration) {
		conn := rawPut(t, cl, "slow", key, size, "UNSIGNED-PAYLOAD", nil)
		start := time.Now()
		done := make(chan struct{})
		go func() { defer close(done); send(conn) }()
		st, code, _ := readResponse(t, conn, false)
		d := time.Since(start)
		conn.Close()
		<-done
		return st, code, d
	}

	t.Run("stalled", func(t *testing.T) {
		st, code, d := cut(t, "stalled", 1000, func(conn net.Conn) { _, _ = conn.Write([]byte("ten bytes.")) })
		if st != 400 || code != "RequestTimeout" {
			t.Fatalf("stalled body: %d %q, want 400 RequestTimeout", st, code)
		}
		// 2 s idle, at most 1/8 of it early (the deadline is renewed lazily).
		if d < 1700*time.Millisecond || d > 6*time.Second {
			t.Fatalf("stalled body cut after %v, want about 2 s", d)
		}
	})
	t.Run("trickle", func(t *testing.T) {
		st, code, d := cut(t, "trickle", 1000, func(conn net.Conn) {
			for i := 0; i < 50; i++ {
				if _, err := conn.Write([]byte{'x'}); err != nil {
					return
				}
				time.Sleep(400 * time.Millisecond) // the trickle is the test: never idle for 2 s, far below 1 KiB/s
			}
		})
		if st != 400 || code != "RequestTimeout" {
			t.Fatalf("trickled body: %d %q, want 400 RequestTimeout", st, code)
		}
		// Checked once 2 s were spent waiting: a read of one byte
		// returns every 400 ms, so within about 2.4 s.
		if d < 1900*time.Millisecond || d > 8*time.Second {
			t.Fatalf("trickled body cut after %v, want about 2 to 3 s", d)
		}
	})
	for _, key := range []string{"stalled", "trickle"} {
		if res := cl.send(t, "HEAD", "/slow/"+key, nil, nil); res.status != 404 {
			t.Fatalf("HEAD %s after its cut upload: %d, want 404", key, res.status)
		}
	}
	cl.waitShardFiles(t, 0)
	if n := cl.tmpFiles(t); n != 0 {
		t.Fatalf("%d shard writes left open on the nodes", n)
	}

	t.Run("slow but steady", func(t *testing.T) {
		data := blobtest.RandBytes(7, 24<<10)
		st, code, d := cut(t, "steady", int64(len(data)), func(conn net.Conn) {
			for off := 0; off < len(data); off += 1 << 10 {
				if _, err := conn.Write(data[off : off+1<<10]); err != nil {
					return
				}
				time.Sleep(125 * time.Millisecond) // the pace is the test: 1 KiB every 125 ms, 8 KiB/s
			}
		})
		if st != 200 {
			t.Fatalf("steady slow upload: %d %q after %v, want 200", st, code, d)
		}
		if res := cl.send(t, "GET", "/slow/steady", nil, nil); res.status != 200 || !bytes.Equal(res.body, data) {
			t.Fatalf("GET after the slow upload: %d, %d bytes (want %d)", res.status, len(res.body), len(data))
		}
	})
}
