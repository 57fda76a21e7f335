package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-s3/floe/backend/nodetest"
	"go.yaml.in/yaml/v3"
)

// composeFile is the subset of a resolved compose file the test checks.
type composeFile struct {
	Services map[string]struct {
		Image       string
		Command     []string
		Environment map[string]string
		Ports       []any
		DependsOn   map[string]any `yaml:"depends_on"`
	}
}

// TestDockerCompose validates docker-compose.yml with the real
// docker-compose (Debian's package; no engine is needed to resolve a
// file), then runs each floe service's command line and environment
// through the built binary's --print-config: a flag the binary does not
// know, or a value it refuses, fails here rather than in an operator's
// `docker compose up`.
func TestDockerCompose(t *testing.T) {
	t.Parallel()
	dc := needTools(t, "docker-compose")["docker-compose"]
	file, err := filepath.Abs("../docker-compose.yml")
	must(t, err, "path")
	cmd := exec.Command(dc, "-f", file, "config")
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // the file's own defaults, not this machine's variables
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
	var cf composeFile
	must(t, yaml.Unmarshal(out, &cf), "resolved compose file")

	if _, ok := cf.Services["postgres"]; !ok {
		t.Fatal("no postgres service")
	}
	var nodes []string
	for name, s := range cf.Services {
		if s.Image != "floe:local" {
			continue
		}
		if len(s.Command) == 0 {
			t.Fatalf("service %s has no command", name)
		}
		args := append(append([]string{}, s.Command...), "--print-config")
		run := exec.Command(nodetest.Binary(t), args...)
		for k, v := range s.Environment {
			run.Env = append(run.Env, k+"="+v)
		}
		got, err := run.CombinedOutput()
		if err != nil {
			t.Errorf("service %s: floe %s: %v\n%s", name, strings.Join(args, " "), err, got)
			continue
		}
		switch s.Command[0] {
		case "node":
			nodes = append(nodes, name)
			if !strings.Contains(string(got), `listen = "0.0.0.0:9001"`) {
				t.Errorf("node %s does not listen on 9001:\n%s", name, got)
			}
		case "server":
			for _, want := range []string{`listen = "0.0.0.0:9000"`, `ec = "4+2"`, "database-url = \"postgres://floe:xxxxx@postgres:5432/floe"} {
				if !strings.Contains(string(got), want) {
					t.Errorf("server settings lack %s:\n%s", want, got)
				}
			}
			if s.Environment["FLOE_CLUSTER_SECRET"] == "" || len(s.Ports) == 0 || s.DependsOn["postgres"] == nil {
				t.Errorf("server service: secret, published port and postgres dependency expected: %+v", s)
			}
		}
	}
	if len(nodes) != 6 {
		t.Fatalf("%d node services (%v), want six for RS 4+2", len(nodes), nodes)
	}
}
