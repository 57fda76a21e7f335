package s3import

import (
	"fmt"
	"strings"
	"testing"
)

// The version listing is replayed oldest first per key, with delete
// markers (which the SDK returns in a list of their own) back in place,
// also when a key's versions span pages.
func TestVersionGrouper(t *testing.T) {
	v := func(key, id string, at int64, latest bool) entry {
		return entry{key: key, latest: latest, v: version{id: id, lastModified: at}}
	}
	dm := func(key, id string, at int64, latest bool) entry {
		e := v(key, id, at, latest)
		e.v.deleteMarker = true
		return e
	}
	// Pages as the SDK gives them, versions first, then markers; the
	// tie of b2 and b3 is settled by which one is current.
	pages := [][]entry{
		{v("a", "a5", 50, true), v("a", "a4", 40, false), dm("a", "a3", 30, false)},
		{v("a", "a2", 20, false), v("b", "b2", 20, false), dm("b", "b3", 20, true)},
		{v("b", "b1", 10, false), v("c", "c1", 5, true)},
	}
	var g versionGrouper
	var got []string
	for i, p := range pages {
		for _, gr := range g.add(p, i < len(pages)-1) {
			var ids []string
			for _, e := range gr {
				ids = append(ids, e.v.id)
			}
			got = append(got, gr[0].key+":"+strings.Join(ids, ","))
		}
	}
	want := "[a:a2,a3,a4,a5 b:b1,b2,b3 c:c1]"
	if fmt.Sprint(got) != want {
		t.Fatalf("groups %v, want %s", got, want)
	}
}
