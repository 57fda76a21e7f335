package s3err

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCodes(t *testing.T) {
	want := map[string]int{
		"AccessDenied": 403, "BadDigest": 400, "BucketAlreadyExists": 409,
		"BucketAlreadyOwnedByYou": 409, "BucketNotEmpty": 409, "EntityTooSmall": 400,
		"EntityTooLarge": 400, "IncompleteBody": 400, "InternalError": 500,
		"InvalidArgument": 400, "InvalidBucketName": 400, "InvalidDigest": 400,
		"InvalidPart": 400, "InvalidPartNumber": 416, "InvalidPartOrder": 400, "InvalidRange": 416,
		"InvalidRequest": 400, "KeyTooLongError": 400, "MalformedXML": 400,
		"MethodNotAllowed": 405, "MissingContentLength": 411, "NoSuchBucket": 404,
		"NoSuchKey": 404, "NoSuchUpload": 404, "NotImplemented": 501,
		"PreconditionFailed": 412, "RequestTimeout": 400, "ServiceUnavailable": 503,
		"SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403,
		"RequestTimeTooSkewed": 403, "XAmzContentSHA256Mismatch": 400, "SlowDown": 503,
	}
	for name, status := range want {
		c, ok := Lookup(name)
		if !ok {
			t.Errorf("Lookup(%q) failed", name)
			continue
		}
		if c.Status != status {
			t.Errorf("%s: status %d, want %d", name, c.Status, status)
		}
	}
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.Name] {
			t.Errorf("duplicate code %s", c.Name)
		}
		seen[c.Name] = true
		if c.Message == "" || http.StatusText(c.Status) == "" {
			t.Errorf("%s: bad message %q or status %d", c.Name, c.Message, c.Status)
		}
	}
	if _, ok := Lookup("NoSuchThing"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}

func TestErrorsIsAs(t *testing.T) {
	cause := errors.New("disk on fire")
	tests := []struct {
		name string
		err  error
		is   Code
		not  Code
	}{
		{"bare code", NoSuchKey, NoSuchKey, NoSuchBucket},
		{"wrapped code", fmt.Errorf("get: %w", NoSuchKey), NoSuchKey, NoSuchBucket},
		{"error", New(NoSuchBucket, ""), NoSuchBucket, NoSuchKey},
		{"wrapped error", fmt.Errorf("x: %w", Wrap(SlowDown, cause)), SlowDown, ServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.is) {
				t.Errorf("errors.Is(%v, %s) = false", tt.err, tt.is.Name)
			}
			if errors.Is(tt.err, tt.not) {
				t.Errorf("errors.Is(%v, %s) = true", tt.err, tt.not.Name)
			}
			if got := From(tt.err).Code; got != tt.is {
				t.Errorf("From: code %s, want %s", got.Name, tt.is.Name)
			}
		})
	}
	if !errors.Is(Wrap(BadDigest, cause), cause) {
		t.Error("Wrap lost the cause")
	}
	e := Errorf(InvalidArgument, "part %d: %w", 3, io.ErrUnexpectedEOF)
	if !errors.Is(e, io.ErrUnexpectedEOF) || e.Message != "part 3: unexpected EOF" {
		t.Errorf("Errorf = %+v", e)
	}
	if From(nil) != nil {
		t.Error("From(nil) != nil")
	}
	if got := From(cause); got.Code != InternalError || got.Err != cause {
		t.Errorf("From(plain) = %+v", got)
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		err      error
		status   int
		code     string
		message  string
		resource string
		reqID    string
	}{
		{"code", "GET", NoSuchKey, 404, "NoSuchKey", NoSuchKey.Message, "/b/k", "rid"},
		{"error with message", "PUT", &Error{Code: InvalidArgument, Message: "bad max-keys", Resource: "/b", RequestID: "own"}, 400, "InvalidArgument", "bad max-keys", "/b", "own"},
		{"wrapped", "PUT", fmt.Errorf("ctx: %w", Wrap(BadDigest, errors.New("internal detail"))), 400, "BadDigest", BadDigest.Message, "/b/k", "rid"},
		{"unknown", "GET", errors.New("secret path /var/lib/x"), 500, "InternalError", InternalError.Message, "/b/k", "rid"},
		{"nil", "GET", nil, 500, "InternalError", InternalError.Message, "/b/k", "rid"},
		{"range", "GET", InvalidRange, 416, "InvalidRange", InvalidRange.Message, "/b/k", "rid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("ETag", `"abc"`)
			w.Header().Set("Content-Range", "bytes */10")
			r := httptest.NewRequest(tt.method, "/b/k?x=1", nil)
			Write(w, r, tt.err, "rid")
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type %q", ct)
			}
			if w.Header().Get("ETag") != "" {
				t.Error("ETag kept")
			}
			if w.Header().Get("Content-Range") == "" {
				t.Error("Content-Range dropped")
			}
			if got := w.Header().Get("x-amz-request-id"); got != tt.reqID {
				t.Errorf("x-amz-request-id %q, want %q", got, tt.reqID)
			}
			raw := w.Body.String()
			if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Errorf("no XML header: %q", raw)
			}
			if strings.Contains(raw, "secret") || strings.Contains(raw, "internal detail") {
				t.Errorf("internal message leaked: %q", raw)
			}
			if cl := w.Header().Get("Content-Length"); cl != fmt.Sprint(len(raw)) {
				t.Errorf("Content-Length %s, body %d bytes", cl, len(raw))
			}
			var b body
			if err := xml.Unmarshal(w.Body.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if b.Code != tt.code || b.Message != tt.message || b.Resource != tt.resource || b.RequestID != tt.reqID {
				t.Errorf("body %+v", b)
			}
		})
	}
}

func TestWriteNoBody(t *testing.T) {
	tests := []struct {
		name   string
		method string
		err    error
		status int
	}{
		{"head", "HEAD", NoSuchKey, 404},
		{"head unknown", "HEAD", io.EOF, 500},
		{"not modified", "GET", NotModified, 304},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Write(w, httptest.NewRequest(tt.method, "/b/k", nil), tt.err, "")
			if w.Code != tt.status || w.Body.Len() != 0 {
				t.Errorf("status %d body %q, want %d and none", w.Code, w.Body.String(), tt.status)
			}
			if _, ok := w.Header()["X-Amz-Request-Id"]; ok {
				t.Error("empty request id was set")
			}
		})
	}
}

func TestWriteEscapes(t *testing.T) {
	w := httptest.NewRecorder()
	Write(w, httptest.NewRequest("GET", "/b/k", nil), &Error{Code: InvalidArgument, Message: "<&>\x00\xff", Resource: "/b/<x>"}, "r")
	var b body
	if err := xml.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("%v in %q", err, w.Body.String())
	}
	if b.Resource != "/b/<x>" || !strings.HasPrefix(b.Message, "<&>") {
		t.Errorf("body %+v", b)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{NoSuchKey, "NoSuchKey: " + NoSuchKey.Message},
		{New(InvalidArgument, "bad"), "InvalidArgument: bad"},
		{Wrap(InternalError, io.EOF), "InternalError: " + InternalError.Message + ": EOF"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
