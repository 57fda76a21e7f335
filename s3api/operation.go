package s3api

import (
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// operationNames caches the S3 operation name of each handler, by the
// handler's code pointer.
var operationNames sync.Map // uintptr → string

// renamed are the handlers whose S3 operation is not their name with
// the first letter raised.
var renamed = map[string]string{
	"GetBucketACL": "GetBucketAcl", "PutBucketACL": "PutBucketAcl",
	"GetObjectACL": "GetObjectAcl", "PutObjectACL": "PutObjectAcl",
	"GetBucketLifecycle": "GetBucketLifecycleConfiguration", "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
}

// operation names the S3 operation h serves for r ("GetObject",
// "HeadObject", "ListObjectsV2", "UploadPart"…), for metrics: finer than
// the policy action, which one action shares among several operations,
// and bounded, since it comes from the router's code, not the request.
func operation(h handler, r *http.Request) string {
	pc := reflect.ValueOf(h).Pointer()
	v, ok := operationNames.Load(pc)
	if !ok {
		name := runtime.FuncForPC(pc).Name() // …/s3api.(*Server).getObject-fm
		name = name[strings.LastIndexByte(name, '.')+1:]
		name = strings.TrimSuffix(name, "-fm")
		if name != "" {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		if n, ok := renamed[name]; ok {
			name = n
		}
		v, _ = operationNames.LoadOrStore(pc, name)
	}
	op := v.(string)
	switch {
	case op == "GetObject" && r.Method == http.MethodHead:
		return "HeadObject"
	case op == "ListObjects" && r.URL.Query().Get("list-type") == "2":
		return "ListObjectsV2"
	}
	return op
}
