package s3api

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// An empty-bodied request expecting 100-continue gets a 100 Continue before
// its final response, one without the expectation none; the connection
// stays usable throughout.
func TestExpectContinueOnEmptyBody(t *testing.T) {
	ts := httptest.NewServer(New(Config{}))
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	// PUT / is refused (MethodNotAllowed) before any store is touched.
	for _, tc := range []struct {
		name, headers string
		want          []int // statuses on the wire, in order
	}{
		{"empty with expect", "Content-Length: 0\r\nExpect: 100-continue\r\n", []int{100, 405}},
		{"empty, expect in any case", "Content-Length: 0\r\nExpect: 100-Continue\r\n", []int{100, 405}},
		{"empty without expect", "Content-Length: 0\r\n", []int{405}},
		{"no length without expect", "", []int{405}},
	} {
		_, err := conn.Write([]byte("PUT / HTTP/1.1\r\nHost: x\r\n" + tc.headers + "\r\n"))
		if err != nil {
			t.Fatalf("%s: write: %v", tc.name, err)
		}
		var got []int
		for {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%s: read response: %v", tc.name, err)
			}
			got = append(got, resp.StatusCode)
			if resp.StatusCode >= 200 {
				resp.Body.Close()
				break
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Fatalf("%s: statuses %v, want %v", tc.name, got, tc.want)
		}
	}
}
