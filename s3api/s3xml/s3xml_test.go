package s3xml

import (
	"errors"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

var t0 = time.Date(2006, 2, 3, 16, 45, 9, 123456789, time.FixedZone("X", 3600))

func TestMarshal(t *testing.T) {
	const hdr = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	const ns = ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"buckets empty", &ListAllMyBucketsResult{Owner: &Owner{ID: "o"}},
			`<ListAllMyBucketsResult` + ns + `><Owner><ID>o</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`},
		{"buckets", &ListAllMyBucketsResult{Buckets: []Bucket{{Name: "a", CreationDate: Time(t0)}, {Name: "b", CreationDate: Time(t0)}}},
			`<ListAllMyBucketsResult` + ns + `><Buckets><Bucket><Name>a</Name><CreationDate>2006-02-03T15:45:09.123Z</CreationDate></Bucket><Bucket><Name>b</Name><CreationDate>2006-02-03T15:45:09.123Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`},
		{"list v1", &ListBucketResult{Name: "b", MaxKeys: 1000, Delimiter: "/", IsTruncated: true, NextMarker: "k",
			Contents:       []Object{{Key: "k", LastModified: Time(t0.Truncate(time.Second)), ETag: "abc", Size: 3}},
			CommonPrefixes: []CommonPrefix{{Prefix: "p/"}}},
			`<ListBucketResult` + ns + `><Name>b</Name><Prefix></Prefix><Marker></Marker><NextMarker>k</NextMarker><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>` +
				`<Contents><Key>k</Key><LastModified>2006-02-03T15:45:09.000Z</LastModified><ETag>&#34;abc&#34;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>` +
				`<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>`},
		{"list v2", &ListBucketV2Result{Name: "b", KeyCount: 0, MaxKeys: 2, ContinuationToken: "c", NextContinuationToken: "n", StartAfter: "s"},
			`<ListBucketResult` + ns + `><Name>b</Name><Prefix></Prefix><ContinuationToken>c</ContinuationToken><NextContinuationToken>n</NextContinuationToken><StartAfter>s</StartAfter><KeyCount>0</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`},
		{"location empty", &LocationConstraint{}, `<LocationConstraint` + ns + `></LocationConstraint>`},
		{"location", &LocationConstraint{Location: "eu-west-1"}, `<LocationConstraint` + ns + `>eu-west-1</LocationConstraint>`},
		{"delete result", &DeleteResult{Deleted: []DeletedObject{{Key: "a"}}, Errors: []DeleteError{{Key: "b", Code: "AccessDenied", Message: "Access Denied"}}},
			`<DeleteResult` + ns + `><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`},
		{"copy", &CopyObjectResult{ETag: `"e"`, LastModified: Time(t0), Checksums: Checksums{ChecksumCRC32: "AAAAAA=="}},
			`<CopyObjectResult` + ns + `><ETag>&#34;e&#34;</ETag><LastModified>2006-02-03T15:45:09.123Z</LastModified><ChecksumCRC32>AAAAAA==</ChecksumCRC32></CopyObjectResult>`},
		{"initiate", &InitiateMultipartUploadResult{Bucket: "b", Key: "k", UploadID: "u"},
			`<InitiateMultipartUploadResult` + ns + `><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>`},
		{"complete", &CompleteMultipartUploadResult{Location: "http://h/b/k", Bucket: "b", Key: "k", ETag: "x-2"},
			`<CompleteMultipartUploadResult` + ns + `><Location>http://h/b/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>&#34;x-2&#34;</ETag></CompleteMultipartUploadResult>`},
		{"list parts", &ListPartsResult{Bucket: "b", Key: "k", UploadID: "u", MaxParts: 1000, Parts: []Part{{PartNumber: 1, LastModified: Time(t0), ETag: "e", Size: 5}}},
			`<ListPartsResult` + ns + `><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><PartNumberMarker>0</PartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>` +
				`<Part><PartNumber>1</PartNumber><LastModified>2006-02-03T15:45:09.123Z</LastModified><ETag>&#34;e&#34;</ETag><Size>5</Size></Part><StorageClass>STANDARD</StorageClass></ListPartsResult>`},
		{"list uploads", &ListMultipartUploadsResult{Bucket: "b", MaxUploads: 10, Uploads: []Upload{{Key: "k", UploadID: "u", Initiated: Time(t0)}}},
			`<ListMultipartUploadsResult` + ns + `><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix></Prefix><MaxUploads>10</MaxUploads><IsTruncated>false</IsTruncated>` +
				`<Upload><Key>k</Key><UploadId>u</UploadId><StorageClass>STANDARD</StorageClass><Initiated>2006-02-03T15:45:09.123Z</Initiated></Upload></ListMultipartUploadsResult>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != hdr+tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, hdr+tt.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	if err := Write(w, 200, &LocationConstraint{}); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/xml" || !strings.HasPrefix(w.Body.String(), "<?xml") {
		t.Errorf("got %d %v %q", w.Code, w.Header(), w.Body.String())
	}
	w = httptest.NewRecorder()
	if err := Write(w, 200, make(chan int)); err == nil {
		t.Error("Write of an unmarshalable value succeeded")
	}
	if w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" {
		t.Error("Write wrote something on failure")
	}
}

func TestTimeRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2006-02-03T16:45:09.000Z", "2006-02-03T16:45:09.000Z"},
		{"2006-02-03T16:45:09Z", "2006-02-03T16:45:09.000Z"},
		{" 2006-02-03T17:45:09.5+01:00 ", "2006-02-03T16:45:09.500Z"},
	}
	for _, tt := range tests {
		var tm Time
		if err := tm.UnmarshalText([]byte(tt.in)); err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if b, _ := tm.MarshalText(); string(b) != tt.want {
			t.Errorf("%q -> %q, want %q", tt.in, b, tt.want)
		}
	}
	var tm Time
	if tm.UnmarshalText([]byte("yesterday")) == nil {
		t.Error("bad time parsed")
	}
}

func TestETag(t *testing.T) {
	tests := []struct{ in, quoted, unquoted string }{
		{"abc", `"abc"`, "abc"},
		{`"abc"`, `"abc"`, "abc"},
		{`W/"abc"`, `W/"abc"`, `W/"abc"`},
		{"", `""`, ""},
		{`"`, `"""`, `"`},
		{` "abc" `, `" "abc" "`, "abc"},
	}
	for _, tt := range tests {
		if got := QuoteETag(tt.in); got != tt.quoted {
			t.Errorf("QuoteETag(%q) = %q, want %q", tt.in, got, tt.quoted)
		}
		if got := UnquoteETag(tt.in); got != tt.unquoted {
			t.Errorf("UnquoteETag(%q) = %q, want %q", tt.in, got, tt.unquoted)
		}
	}
}

func TestURLEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain/key-1_2.txt*", "plain/key-1_2.txt*"},
		{"a b.txt", "a+b.txt"},
		{"a+b.txt", "a%2Bb.txt"},
		{"100%.csv", "100%25.csv"},
		{"한글/x.txt", "%ED%95%9C%EA%B8%80/x.txt"},
		{"~tilde&q=1?#", "%7Etilde%26q%3D1%3F%23"},
		{"\x00\x01\n\x7f\xff", "%00%01%0A%7F%FF"},
	}
	for _, tt := range tests {
		if got := URLEncode(tt.in); got != tt.want {
			t.Errorf("URLEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseEncodingType(t *testing.T) {
	for _, v := range []string{"", "url"} {
		if got, err := ParseEncodingType(v); err != nil || got != v {
			t.Errorf("ParseEncodingType(%q) = %q, %v", v, got, err)
		}
	}
	for _, v := range []string{"URL", "base64", " url"} {
		if _, err := ParseEncodingType(v); !errors.Is(err, s3err.InvalidArgument) {
			t.Errorf("ParseEncodingType(%q) = %v", v, err)
		}
	}
}

func TestApplyEncoding(t *testing.T) {
	v1 := &ListBucketResult{EncodingType: "url", Prefix: "a b", Delimiter: "+", Marker: "m m", NextMarker: "n n",
		Contents: []Object{{Key: "k k"}}, CommonPrefixes: []CommonPrefix{{Prefix: "a b+/"}}}
	v1.ApplyEncoding()
	if v1.Prefix != "a+b" || v1.Delimiter != "%2B" || v1.Marker != "m+m" || v1.NextMarker != "n+n" ||
		v1.Contents[0].Key != "k+k" || v1.CommonPrefixes[0].Prefix != "a+b%2B/" {
		t.Errorf("v1 %+v", v1)
	}
	v2 := &ListBucketV2Result{EncodingType: "url", Prefix: "a b", StartAfter: "s s", ContinuationToken: "c c",
		Contents: []Object{{Key: "k k"}}}
	v2.ApplyEncoding()
	if v2.Prefix != "a+b" || v2.StartAfter != "s+s" || v2.ContinuationToken != "c c" || v2.Contents[0].Key != "k+k" {
		t.Errorf("v2 %+v", v2)
	}
	raw := &ListBucketV2Result{Prefix: "a b"}
	raw.ApplyEncoding()
	if raw.Prefix != "a b" {
		t.Error("encoded without EncodingType")
	}
	up := &ListMultipartUploadsResult{EncodingType: "url", KeyMarker: "k m", Uploads: []Upload{{Key: "u u"}}, CommonPrefixes: []CommonPrefix{{Prefix: "p p"}}}
	up.ApplyEncoding()
	if up.KeyMarker != "k+m" || up.Uploads[0].Key != "u+u" || up.CommonPrefixes[0].Prefix != "p+p" {
		t.Errorf("uploads %+v", up)
	}
}

func TestDecodeDelete(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *Delete
		code  s3err.Code
		cause error
	}{
		{"ns", `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;b</Key><VersionId>v</VersionId></Object><Object><Key>c</Key></Object></Delete>
`, &Delete{Quiet: true, Objects: []ObjectIdentifier{{Key: "a&b", VersionID: "v"}, {Key: "c"}}}, s3err.Code{}, nil},
		{"no ns, comments", `<!-- hi --><Delete><Object><Key> sp </Key></Object></Delete><!-- bye -->`, &Delete{Objects: []ObjectIdentifier{{Key: " sp "}}}, s3err.Code{}, nil},
		{"empty", ``, nil, s3err.MalformedXML, ErrEmpty},
		{"whitespace", " \n\t", nil, s3err.MalformedXML, ErrEmpty},
		{"no objects", `<Delete></Delete>`, nil, s3err.MalformedXML, nil},
		{"wrong root", `<Remove><Object><Key>a</Key></Object></Remove>`, nil, s3err.MalformedXML, nil},
		{"trailing element", `<Delete><Object><Key>a</Key></Object></Delete><Delete/>`, nil, s3err.MalformedXML, ErrTrailingData},
		{"trailing text", `<Delete><Object><Key>a</Key></Object></Delete>junk`, nil, s3err.MalformedXML, ErrTrailingData},
		{"leading text", `junk<Delete><Object><Key>a</Key></Object></Delete>`, nil, s3err.MalformedXML, nil},
		{"doctype", `<!DOCTYPE Delete><Delete><Object><Key>a</Key></Object></Delete>`, nil, s3err.MalformedXML, nil},
		{"unclosed", `<Delete><Object><Key>a</Key></Object>`, nil, s3err.MalformedXML, nil},
		{"bad quiet", `<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>`, nil, s3err.MalformedXML, nil},
		{"entity", `<Delete><Object><Key>&xxe;</Key></Object></Delete>`, nil, s3err.MalformedXML, nil},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><Delete><Object><Key>a</Key></Object></Delete>`, nil, s3err.MalformedXML, nil},
		{"1001 keys", "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>", nil, s3err.MalformedXML, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Delete
			err := Decode(strings.NewReader(tt.body), DeleteLimit, &d)
			if tt.want == nil {
				if !errors.Is(err, tt.code) {
					t.Fatalf("err = %v, want %s", err, tt.code.Name)
				}
				if tt.cause != nil && !errors.Is(err, tt.cause) {
					t.Fatalf("err = %v, want cause %v", err, tt.cause)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Quiet != tt.want.Quiet || len(d.Objects) != len(tt.want.Objects) {
				t.Fatalf("got %+v", d)
			}
			for i := range d.Objects {
				if d.Objects[i] != tt.want.Objects[i] {
					t.Errorf("object %d = %+v, want %+v", i, d.Objects[i], tt.want.Objects[i])
				}
			}
		})
	}
}

func TestDecode1000(t *testing.T) {
	body := "<Delete>" + strings.Repeat("<Object><Key>"+strings.Repeat("k", 1024)+"</Key><VersionId>0123456789abcdef0123456789abcdef</VersionId></Object>\n", 1000) + "</Delete>"
	var d Delete
	if err := Decode(strings.NewReader(body), DeleteLimit, &d); err != nil || len(d.Objects) != 1000 {
		t.Fatalf("%d objects, %v", len(d.Objects), err)
	}
}

func TestDecodeLimit(t *testing.T) {
	body := `<CreateBucketConfiguration><LocationConstraint>eu</LocationConstraint></CreateBucketConfiguration>`
	tests := []struct {
		limit int64
		ok    bool
	}{
		{int64(len(body)), true},
		{int64(len(body)) - 1, false},
		{10, false},
		{0, true}, // DefaultLimit
	}
	for _, tt := range tests {
		var c CreateBucketConfiguration
		err := Decode(iotest.OneByteReader(strings.NewReader(body)), tt.limit, &c)
		if tt.ok && (err != nil || c.LocationConstraint != "eu") {
			t.Errorf("limit %d: %v %+v", tt.limit, err, c)
		}
		if !tt.ok && (!errors.Is(err, ErrTooLarge) || !errors.Is(err, s3err.MalformedXML)) {
			t.Errorf("limit %d: err %v", tt.limit, err)
		}
	}
}

// errAfter yields data and then a read error.
type errAfter struct {
	data string
	err  error
}

func (r *errAfter) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestDecodeReadError(t *testing.T) {
	sig := s3err.New(s3err.SignatureDoesNotMatch, "")
	tests := []struct {
		name string
		err  error
		code s3err.Code
	}{
		{"s3 error passes", sig, s3err.SignatureDoesNotMatch},
		{"bare code passes", s3err.XAmzContentSHA256Mismatch, s3err.XAmzContentSHA256Mismatch},
		{"disconnect", io.ErrUnexpectedEOF, s3err.IncompleteBody},
		{"timeout", timeoutErr{}, s3err.RequestTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Delete
			err := Decode(&errAfter{`<Delete><Object><Key>a</Ke`, tt.err}, 0, &d)
			if !errors.Is(err, tt.code) || !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %s wrapping %v", err, tt.code.Name, tt.err)
			}
		})
	}
}

func TestDecodeCreateBucket(t *testing.T) {
	tests := []struct {
		body string
		loc  string
		ok   bool
	}{
		{`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`, "eu-west-1", true},
		{`<CreateBucketConfiguration/>`, "", true},
		{`<CreateBucketConfiguration><Unknown>x</Unknown></CreateBucketConfiguration>`, "", true},
		{`<CreateBucketConfiguration>`, "", false},
		{`<LocationConstraint>eu</LocationConstraint>`, "", false},
	}
	for _, tt := range tests {
		var c CreateBucketConfiguration
		err := Decode(strings.NewReader(tt.body), 0, &c)
		if (err == nil) != tt.ok || c.LocationConstraint != tt.loc {
			t.Errorf("%q: %v %+v", tt.body, err, c)
		}
	}
}

func TestDecodeCompleteMultipart(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		parts []CompletePart
		code  s3err.Code
	}{
		{"ok", `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
  <Part><ETag>b</ETag><PartNumber> 3 </PartNumber></Part>
</CompleteMultipartUpload>`, []CompletePart{{PartNumber: 1, ETag: `"a"`, Checksums: Checksums{ChecksumCRC32: "AAAAAA=="}}, {PartNumber: 3, ETag: "b"}}, s3err.Code{}},
		{"no parts", `<CompleteMultipartUpload></CompleteMultipartUpload>`, nil, s3err.MalformedXML},
		{"zero", `<CompleteMultipartUpload><Part><PartNumber>0</PartNumber></Part></CompleteMultipartUpload>`, nil, s3err.InvalidArgument},
		{"missing number", `<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>`, nil, s3err.InvalidArgument},
		{"too big", `<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber></Part></CompleteMultipartUpload>`, nil, s3err.InvalidArgument},
		{"not a number", `<CompleteMultipartUpload><Part><PartNumber>one</PartNumber></Part></CompleteMultipartUpload>`, nil, s3err.MalformedXML},
		{"overflow", `<CompleteMultipartUpload><Part><PartNumber>99999999999999999999999</PartNumber></Part></CompleteMultipartUpload>`, nil, s3err.MalformedXML},
		{"descending", `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`, nil, s3err.InvalidPartOrder},
		{"duplicate", `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`, nil, s3err.InvalidPartOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c CompleteMultipartUpload
			err := Decode(strings.NewReader(tt.body), CompleteMultipartLimit, &c)
			if tt.parts == nil {
				if !errors.Is(err, tt.code) {
					t.Fatalf("err = %v, want %s", err, tt.code.Name)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Parts) != len(tt.parts) {
				t.Fatalf("parts %+v", c.Parts)
			}
			for i := range c.Parts {
				if c.Parts[i] != tt.parts[i] {
					t.Errorf("part %d = %+v, want %+v", i, c.Parts[i], tt.parts[i])
				}
			}
		})
	}
}

func TestDecode10000Parts(t *testing.T) {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>\n")
	for i := 1; i <= MaxPartNumber; i++ {
		b.WriteString("  <Part>\n    <ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag>\n    <ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256>\n    <PartNumber>")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("</PartNumber>\n  </Part>\n")
	}
	b.WriteString("</CompleteMultipartUpload>\n")
	var c CompleteMultipartUpload
	if err := Decode(strings.NewReader(b.String()), CompleteMultipartLimit, &c); err != nil || len(c.Parts) != MaxPartNumber {
		t.Fatalf("%d parts of %d bytes: %v", len(c.Parts), b.Len(), err)
	}
}

// TestMarshalRefusesTextXMLCannotCarry: a listing naming a key XML 1.0
// cannot carry is refused (InvalidArgument) wherever the key sits, rather
// than sent with the character silently replaced; URL-encoded it passes.
// Responses that only echo the client's key back are sent.
func TestMarshalRefusesTextXMLCannotCarry(t *testing.T) {
	bad := []string{"k\x01", "k\ufffe", "k\uffff", "k\xff"}
	for _, key := range bad {
		listings := map[string]any{
			"listing key":   ListBucketV2Result{Name: "b", Contents: []Object{{Key: "fine"}, {Key: key}}},
			"common prefix": &ListBucketResult{Name: "b", CommonPrefixes: []CommonPrefix{{Prefix: key}}},
			"marker":        ListBucketResult{Name: "b", Marker: key},
			"uploads":       ListMultipartUploadsResult{Bucket: "b", Uploads: []Upload{{Key: key}}},
		}
		for name, v := range listings {
			_, err := Marshal(v)
			var se *s3err.Error
			if !errors.As(err, &se) || se.Code != s3err.InvalidArgument {
				t.Errorf("%s %q: Marshal = %v, want InvalidArgument", name, key, err)
			}
		}
		echoes := map[string]any{
			"complete":       CompleteMultipartUploadResult{Bucket: "b", Key: key},
			"initiate":       InitiateMultipartUploadResult{Bucket: "b", Key: key, UploadID: "u"},
			"deleted object": DeleteResult{Deleted: []DeletedObject{{Key: key}}},
		}
		for name, v := range echoes {
			if _, err := Marshal(v); err != nil {
				t.Errorf("%s %q: %v", name, key, err)
			}
		}
		l := ListBucketV2Result{Name: "b", EncodingType: "url", Contents: []Object{{Key: key}}}
		l.ApplyEncoding()
		if _, err := Marshal(l); err != nil {
			t.Errorf("url-encoded %q: %v", key, err)
		}
	}
	for _, key := range []string{"k\t", "k\n", "k\r", "k\ufffd", "日本/𝄞"} {
		if _, err := Marshal(ListBucketV2Result{Name: "b", Contents: []Object{{Key: key}}}); err != nil {
			t.Errorf("%q: %v", key, err)
		}
	}
}
