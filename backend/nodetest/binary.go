package nodetest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// modulePath identifies the go.mod that Binary builds from.
const modulePath = "github.com/floe-s3/floe"

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary builds ./cmd/floe once per test process and returns the path of the
// executable. When the tests run with -race, so does the binary, and Start
// fails a test whose nodes report a data race.
//
// The binary lives in a per-user directory under os.TempDir, named after the
// module root, and is replaced atomically, so concurrent test processes
// share one file instead of leaving a copy each behind.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() { build.path, build.err = buildFloe() })
	if build.err != nil {
		t.Fatalf("nodetest: %v", build.err)
	}
	return build.path
}

func buildFloe() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("floe-nodetest-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating binary directory: %w", err)
	}
	sum := sha256.Sum256([]byte(root))
	name := "floe-" + hex.EncodeToString(sum[:6])
	if raceEnabled {
		name += "-race"
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("creating binary: %w", err)
	}
	tmp.Close()
	args := []string{"build", "-o", tmp.Name()}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool(), append(args, "./cmd/floe")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("go build ./cmd/floe in %s: %w\n%s", root, err, out)
	}
	// Rename over the old binary: processes still running it keep the old
	// inode, new ones get the fresh build.
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("installing binary: %w", err)
	}
	return path, nil
}

// goTool returns the go command. go test puts $GOROOT/bin first in the
// PATH of test binaries, so the lookup finds the toolchain running the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// moduleRoot walks up from the working directory (the package directory
// under go test) to the directory whose go.mod declares modulePath.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding module root: %w", err)
	}
	for {
		if declares(filepath.Join(dir, "go.mod"), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding module root: no go.mod for " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// declares reports whether the go.mod at path declares module mod.
func declares(path, mod string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == mod
		}
	}
	return false
}
