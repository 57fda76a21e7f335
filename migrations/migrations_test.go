package migrations

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAll(t *testing.T) {
	ms, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "init" {
		t.Fatalf("first migration = %+v, want 0001_init", ms[0])
	}
	for _, m := range ms {
		if strings.TrimSpace(m.SQL) == "" {
			t.Errorf("migration %04d_%s is empty", m.Version, m.Name)
		}
		// Migrate wraps each file in its own transaction.
		for _, stmt := range []string{"BEGIN;", "COMMIT;", "ROLLBACK;"} {
			if strings.Contains(strings.ToUpper(m.SQL), stmt) {
				t.Errorf("migration %04d_%s contains %s", m.Version, m.Name, stmt)
			}
		}
	}
}

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []string // "version name"
		wantErr string
	}{
		{"empty", fstest.MapFS{}, nil, ""},
		{"sorted", fstest.MapFS{"0002_b.sql": file("b"), "0001_a.sql": file("a")}, []string{"1 a", "2 b"}, ""},
		{"gap", fstest.MapFS{"0001_a.sql": file("a"), "0003_c.sql": file("c")}, nil, "want 0002"},
		{"repeat", fstest.MapFS{"0001_a.sql": file("a"), "0001_b.sql": file("b")}, nil, "want 0002"},
		{"starts at 2", fstest.MapFS{"0002_a.sql": file("a")}, nil, "want 0001"},
		{"misnamed", fstest.MapFS{"1_a.sql": file("a")}, nil, "not named"},
		{"upper case", fstest.MapFS{"0001_Init.sql": file("a")}, nil, "not named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := load(tt.files)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, fmt.Sprint(m.Version, " ", m.Name))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
