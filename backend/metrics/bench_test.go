package metrics

import (
	"net/http"
	"testing"
	"time"

	"github.com/floe-s3/floe/s3api"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkObserve is the per-request cost of metrics on the gateway: the
// s3api.Config.Observe hook as gateway.Run installs it, counting the
// request and its bytes and observing its latency histogram.
//
//	go test -run '^$' -bench Observe ./backend/metrics/
func BenchmarkObserve(b *testing.B) {
	g := NewGateway(prometheus.NewRegistry())
	observe := func(d s3api.RequestDone) {
		g.Request(d.Operation, d.Action, d.Method, d.Status, d.In, d.Out, d.Duration)
	}
	done := []s3api.RequestDone{
		{Action: "s3:GetObject", Method: http.MethodGet, Status: 200, Out: 4096, Duration: 3 * time.Millisecond},
		{Action: "s3:PutObject", Method: http.MethodPut, Status: 200, In: 4096, Duration: 9 * time.Millisecond},
		{Action: "s3:ListBucket", Method: http.MethodGet, Status: 200, Out: 20000, Duration: 2 * time.Millisecond},
		{Action: "s3:GetObject", Method: http.MethodHead, Status: 404, Duration: time.Millisecond},
	}
	b.Run("serial", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			observe(done[i%len(done)])
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				observe(done[i%len(done)])
				i++
			}
		})
	})
}
