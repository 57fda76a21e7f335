// Package migrations holds Floe's PostgreSQL schema as numbered SQL files,
// embedded in the binary. Package metadata applies them at start-up (see
// metadata.Migrate).
//
// A migration is a file NNNN_name.sql: NNNN is its version, counting up from
// 0001 without gaps. Each file is applied once, in its own transaction, so
// it must not contain BEGIN or COMMIT, and it must never change once it has
// shipped: a schema change is a new file.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
)

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS

// Migration is one schema change.
type Migration struct {
	Version int    // from the file name; 1 for 0001_init.sql
	Name    string // the rest of the file name, e.g. "init"
	SQL     string // the file's contents
}

var fileName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// All returns every migration in FS in version order. It fails if a file is
// misnamed or versions repeat or skip, so a bad file breaks the build's
// tests rather than a deployment.
func All() ([]Migration, error) {
	return load(FS)
}

func load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: listing: %w", err)
	}
	ms := make([]Migration, 0, len(names))
	for _, name := range names {
		sub := fileName.FindStringSubmatch(name)
		if sub == nil {
			return nil, fmt.Errorf("migrations: file %q is not named NNNN_name.sql", name)
		}
		v, _ := strconv.Atoi(sub[1]) // four digits: cannot fail
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migrations: reading %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: sub[2], SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: version %04d_%s: want %04d (versions must count up from 0001 without gaps or repeats)", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}
