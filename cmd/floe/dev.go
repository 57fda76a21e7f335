package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgrun"
	"github.com/floe-s3/floe/s3api/gateway"
	"github.com/rs/zerolog"
)

// Layout of a `floe dev` data directory.
const (
	devDataEnv      = "FLOE_DEV_DATA"  // default for --data
	devDefaultData  = "floe-dev-data"  // default for --data without $FLOE_DEV_DATA
	devSecretFile   = "cluster-secret" // hex cluster secret, 0600
	devKeyFile      = "access-key"     // S3 access key pair, 0600, see devKey
	devNodesFile    = "nodes.json"     // node addresses, see devNodesState
	devLockFile     = "lock"           // flocked while a floe dev runs on the directory
	devPostgresDir  = "postgres"       // the private PostgreSQL's data directory
	devDatabaseFile = "database-url"   // the database's URL, 0600, only while floe dev runs, see devDatabaseURL
	devNodes        = 6                // storage nodes, node1 to node6
	devFirstPort    = 9101             // node1's preferred port; node6's is 9106
	devRegion       = "us-east-1"
	devNodeStartup  = 15 * time.Second // how long a node may take to answer its first health check
	devBindAttempts = 3                // addresses tried per node when ports are taken
)

var devCommand = &command{
	name:    "dev",
	summary: "run a whole Floe in one process, for development",
	usage:   "dev [--data DIR] [--listen ADDR] [--database-url URL] [--log-level LEVEL]",
	run:     runDev,
}

// runDev runs a development cluster until ctx is cancelled.
func runDev(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	defData := env.getenv(devDataEnv)
	if defData == "" {
		defData = devDefaultData
	}
	dir := fs.String("data", defData, "`directory` holding all of the cluster's state, created if missing ($"+devDataEnv+" sets the default)")
	listen := fs.String("listen", "127.0.0.1:9000", "`address` to serve S3 on")
	dbURL := fs.String("database-url", env.getenv("DATABASE_URL"), "use the PostgreSQL server at `url` instead of running one in DIR/"+devPostgresDir+" (default $DATABASE_URL)")
	// Not info, like the other commands: at info every node logs the
	// gateway's health checks, several lines a second.
	level := fs.String("log-level", "warn", "log `level`: trace, debug, info (every request), warn, error or disabled")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("--data must not be empty")
	}
	if *listen == "" {
		return usageErrorf("--listen must not be empty")
	}
	log, err := newLogger(env.stderr, *level)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", *dir, err)
	}
	d := &devCluster{dir: abs, listen: *listen, dbURL: *dbURL, log: log, stdout: env.stdout}
	// Failures are returned, not logged: run prints them as one plain line,
	// which suits an interactive command better than a JSON log record.
	return d.run(ctx)
}

// devCluster is a complete Floe in one process: a private PostgreSQL (a
// child process), six storage nodes and the S3 gateway (goroutines), with
// all their state under dir.
type devCluster struct {
	dir    string // absolute
	listen string
	dbURL  string // empty: run PostgreSQL in dir/postgres
	log    zerolog.Logger
	stdout io.Writer

	wg sync.WaitGroup // node goroutines
}

// devNode is one storage node running in a goroutine.
type devNode struct {
	name, addr string
	done       chan struct{} // closed when node.Run has returned
	err        error         // what node.Run returned, once done is closed
}

// run starts everything, prints how to connect, and serves until ctx is
// done; then it stops the gateway, the nodes and PostgreSQL, in that order.
func (d *devCluster) run(ctx context.Context) (err error) {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	unlock, err := lockDir(d.dir)
	if err != nil {
		return err
	}
	defer unlock()
	secret, err := loadOrCreate(filepath.Join(d.dir, devSecretFile), newClusterSecret)
	if err != nil {
		return fmt.Errorf("cluster secret: %w", err)
	}
	keyText, err := loadOrCreate(filepath.Join(d.dir, devKeyFile), newDevKey)
	if err != nil {
		return fmt.Errorf("access key: %w", err)
	}
	key, err := parseDevKey(keyText)
	if err != nil {
		return fmt.Errorf("access key in %s: %w", filepath.Join(d.dir, devKeyFile), err)
	}

	fmt.Fprintf(d.stdout, "Starting floe dev in %s ...\n", d.dir)
	dsn := d.dbURL
	if dsn == "" {
		pg, perr := d.startPostgres(ctx)
		if perr != nil {
			return perr
		}
		defer func() { // sets run's err
			if serr := pg.Stop(); serr != nil {
				if err == nil {
					err = fmt.Errorf("stopping PostgreSQL: %w", serr)
				}
				return
			}
			d.log.Info().Msg("PostgreSQL stopped")
		}()
		dsn = pg.DSN()
	}
	if ctx.Err() != nil {
		return nil // interrupted while starting
	}
	// Removed before PostgreSQL stops (defers run last in, first out).
	removeDSN, err := d.recordDSN(dsn)
	if err != nil {
		return err
	}
	defer removeDSN()
	if err := d.ensureKey(ctx, dsn, key); err != nil {
		return err
	}

	// Nodes outlive ctx so that the gateway can finish its requests first.
	nodeCtx, stopNodes := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stopNodes()
		d.wg.Wait()
		d.log.Info().Msg("storage nodes stopped")
	}()
	nodes, err := d.startNodes(ctx, nodeCtx, secret)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}

	// A node that stops on its own takes the whole cluster down with it,
	// so the failure is seen rather than silently degrading redundancy.
	gwCtx, stopGateway := context.WithCancel(ctx)
	defer stopGateway()
	nodeFailed := make(chan error, len(nodes))
	seeds := make([]string, len(nodes))
	for i, n := range nodes {
		seeds[i] = n.addr
		go func() {
			select {
			case <-n.done:
				err := n.err
				if err == nil {
					err = errors.New("stopped unexpectedly")
				}
				nodeFailed <- fmt.Errorf("storage node %s on %s: %w", n.name, n.addr, err)
				stopGateway()
			case <-gwCtx.Done():
			}
		}()
	}

	ready := make(chan string, 1)
	cfg := gateway.Config{
		Listen:      d.listen,
		DatabaseURL: dsn,
		Secret:      secret,
		Params:      blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: blobmeta.DefaultStripeSize},
		Nodes:       seeds,
		Region:      devRegion,
		Logger:      d.log.With().Str("component", "gateway").Logger(),
		GCInterval:  5 * time.Second,
		IntentGrace: time.Hour,
		Ready:       ready,
	}
	gwDone := make(chan error, 1)
	go func() { gwDone <- gateway.Run(gwCtx, cfg) }()
	var gwErr error
	select {
	case endpoint := <-ready:
		printDevBanner(d.stdout, d.dir, clientEndpoint(endpoint), dsn, key)
		gwErr = <-gwDone
	case gwErr = <-gwDone:
	}
	select {
	case err := <-nodeFailed:
		return err
	default:
	}
	if ctx.Err() != nil && (gwErr == nil || errors.Is(gwErr, context.Canceled)) {
		d.log.Info().Msg("S3 gateway stopped")
		return nil
	}
	if gwErr == nil {
		gwErr = errors.New("stopped unexpectedly")
	}
	if errors.Is(gwErr, syscall.EADDRINUSE) {
		return fmt.Errorf("S3 gateway on %s: %w (another floe dev? pass --listen to use another address)", d.listen, gwErr)
	}
	return fmt.Errorf("S3 gateway on %s: %w", d.listen, gwErr)
}

// recordDSN writes dsn to dir/database-url, where `floe admin --data DIR`
// finds it (the private PostgreSQL's port changes with every start), and
// returns the file's removal, so that a stopped floe dev leaves none. The
// file is 0600: a --database-url may hold a password.
func (d *devCluster) recordDSN(dsn string) (remove func(), err error) {
	path := filepath.Join(d.dir, devDatabaseFile)
	if err := writeFileAtomic(path, []byte(dsn+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("recording the database URL: %w", err)
	}
	return func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.log.Warn().Err(err).Msg("removing the recorded database URL")
		}
	}, nil
}

// devDatabaseURL returns the database URL that the floe dev running on dir
// recorded there. Its errors tell a directory that is not a floe dev's (a
// usageError) from one no floe dev runs on.
func devDatabaseURL(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, devDatabaseFile))
	switch {
	case err == nil:
		dsn := strings.TrimSpace(string(b))
		if dsn == "" {
			return "", fmt.Errorf("%s is empty (is floe dev running on %s?)", filepath.Join(dir, devDatabaseFile), dir)
		}
		return dsn, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("reading the database URL of floe dev: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", usageErrorf("--data %s: not a floe dev data directory (no such directory)", dir)
	}
	// Every floe dev creates the key file first thing and keeps it.
	if !fileExists(filepath.Join(dir, devKeyFile)) {
		return "", usageErrorf("--data %s: not a floe dev data directory (it has no %s)", dir, devKeyFile)
	}
	return "", fmt.Errorf("no database URL in %s: is floe dev running? (start it with floe dev --data %s)", dir, shellQuote(dir))
}

// ensureKey makes sure the database knows the key pair of the data
// directory, so that the key the banner prints works.
func (d *devCluster) ensureKey(ctx context.Context, dsn string, key devKey) error {
	meta, err := metadata.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("opening the metadata database: %w", err)
	}
	defer meta.Close()
	have, err := meta.GetAccessKey(ctx, key.ID)
	switch {
	case errors.Is(err, metadata.ErrNoSuchAccessKey):
		k := metadata.AccessKey{ID: key.ID, Secret: key.Secret, Description: "floe dev, " + filepath.Join(d.dir, devKeyFile)}
		if err := meta.CreateAccessKey(ctx, k); err != nil && !errors.Is(err, metadata.ErrAccessKeyExists) {
			return fmt.Errorf("storing the access key: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("looking up the access key: %w", err)
	case have.Secret != key.Secret:
		return fmt.Errorf("the database holds access key %s with another secret than %s has (delete the key with floe admin key delete, or the file)",
			key.ID, filepath.Join(d.dir, devKeyFile))
	}
	return nil
}

// startPostgres runs the private PostgreSQL in dir/postgres, creating it on
// first use.
func (d *devCluster) startPostgres(ctx context.Context) (*pgrun.Server, error) {
	pgDir := filepath.Join(d.dir, devPostgresDir)
	if err := d.letPostgresIn(pgDir); err != nil {
		return nil, err
	}
	d.log.Info().Str("dir", pgDir).Msg("starting PostgreSQL")
	// Not cancelled by ctx: an initdb killed halfway would leave a cluster
	// that never starts. A second ^C still kills everything (see main).
	pg, err := pgrun.Start(context.WithoutCancel(ctx), pgDir, d.log.With().Str("component", "postgres").Logger(), pgrun.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL in %s (or set DATABASE_URL to use a running server): %w", pgDir, err)
	}
	d.log.Info().Int("port", pg.Port()).Msg("PostgreSQL ready")
	return pg, nil
}

// letPostgresIn makes sure that, when floe dev runs as root and PostgreSQL
// therefore runs as user postgres (see pgrun), that user can reach pgDir:
// it makes d.dir searchable by others and checks every directory above it,
// failing with advice rather than with initdb's error.
func (d *devCluster) letPostgresIn(pgDir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil // pgrun.Start explains what is missing
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	fi, err := os.Stat(d.dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o011 != 0o011 {
		if err := os.Chmod(d.dir, perm|0o011); err != nil {
			return fmt.Errorf("letting user postgres into %s: %w", d.dir, err)
		}
	}
	for p := filepath.Dir(d.dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("checking %s: %w", p, err)
		}
		if !searchable(fi, uint32(uid), uint32(gid)) {
			return fmt.Errorf("PostgreSQL runs as user postgres when floe dev runs as root, and that user cannot enter %s (mode %#o) to reach %s: "+
				"pass --data DIR somewhere it can reach (e.g. --data /var/tmp/floe-dev) or set DATABASE_URL", p, fi.Mode().Perm(), pgDir)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// searchable reports whether the user uid, in group gid, may enter the
// directory fi describes.
func searchable(fi os.FileInfo, uid, gid uint32) bool {
	perm := fi.Mode().Perm()
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case ok && st.Uid == uid:
		return perm&0o100 != 0
	case ok && st.Gid == gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// devNodesState is the content of dir/nodes.json: the addresses the nodes
// listened on last time, reused so that they stay put across restarts.
type devNodesState struct {
	Nodes []string `json:"nodes"`
}

// startNodes starts the storage nodes, each on its recorded address, else
// on 127.0.0.1:9101 to :9106, moving to a free port when that one is taken,
// and waits until they all answer. Nodes run until nodeCtx is done; d.wg
// tracks them. It records the addresses used in dir/nodes.json.
func (d *devCluster) startNodes(ctx, nodeCtx context.Context, secret []byte) ([]*devNode, error) {
	statePath := filepath.Join(d.dir, devNodesFile)
	var state devNodesState
	b, err := os.ReadFile(statePath)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &state); err != nil || len(state.Nodes) != devNodes {
			return nil, fmt.Errorf("%s: want {\"nodes\": [%d addresses]} (delete it to pick new ports)", statePath, devNodes)
		}
	case errors.Is(err, os.ErrNotExist):
		for i := range devNodes {
			state.Nodes = append(state.Nodes, net.JoinHostPort("127.0.0.1", strconv.Itoa(devFirstPort+i)))
		}
	default:
		return nil, fmt.Errorf("reading node addresses: %w", err)
	}

	client := node.NewClient(secret, nil)
	nodes := make([]*devNode, devNodes)
	errs := make([]error, devNodes)
	var wg sync.WaitGroup
	for i := range devNodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], errs[i] = d.startNode(ctx, nodeCtx, client, fmt.Sprintf("node%d", i+1), state.Nodes[i], secret)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	changed := false
	for i, n := range nodes {
		if state.Nodes[i] != n.addr {
			state.Nodes[i], changed = n.addr, true
		}
	}
	if changed || !fileExists(statePath) {
		b, err := json.MarshalIndent(state, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("recording node addresses: %w", err)
		}
		if err := writeFileAtomic(statePath, append(b, '\n'), 0o644); err != nil {
			return nil, fmt.Errorf("recording node addresses: %w", err)
		}
	}
	return nodes, nil
}

// startNode runs storage node name with its data in dir/name on addr, or on
// a free port if addr is taken, and waits until it answers a health check.
func (d *devCluster) startNode(ctx, nodeCtx context.Context, client *node.Client, name, addr string, secret []byte) (*devNode, error) {
	log := d.log.With().Str("node", name).Logger()
	for attempt := 1; ; attempt++ {
		n := &devNode{name: name, addr: addr, done: make(chan struct{})}
		cfg := node.Config{Listen: addr, Dir: filepath.Join(d.dir, name), Secret: secret, Logger: log}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			n.err = node.Run(nodeCtx, cfg)
			close(n.done)
		}()
		err := waitNode(ctx, client, n)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == devBindAttempts {
			return nil, fmt.Errorf("starting storage node %s on %s: %w", name, addr, err)
		}
		if addr, err = freeLoopbackAddr(); err != nil {
			return nil, fmt.Errorf("starting storage node %s: finding a free port: %w", name, err)
		}
		log.Info().Str("was", n.addr).Str("addr", addr).Msg("address in use; moving the node to a free port")
	}
}

// waitNode waits until n answers a health check, returning the error
// node.Run stopped with if it stops first.
func waitNode(ctx context.Context, client *node.Client, n *devNode) error {
	deadline := time.Now().Add(devNodeStartup)
	for {
		select {
		case <-n.done:
			if n.err == nil {
				return errors.New("stopped while starting")
			}
			return n.err
		default:
		}
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := client.Health(hctx, n.addr)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to health checks after %v: %w", devNodeStartup, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freeLoopbackAddr returns an address on 127.0.0.1 that was free a moment
// ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// devKey is the S3 access key pair of a dev cluster. Its file holds
//
//	AWS_ACCESS_KEY_ID=FLOE...
//	AWS_SECRET_ACCESS_KEY=...
//
// which a shell can source (set -a; . DIR/access-key) and docker can read
// as an env file.
type devKey struct {
	ID, Secret string
}

// newDevKey returns the file content of a new random access key pair (see
// newKeyPair).
func newDevKey() ([]byte, error) {
	id, secret, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", id, secret), nil
}

// newKeyPair returns a new random access key pair: an ID shaped like AWS's
// (20 characters of A-Z and 2-7, starting with FLOE) and a 40-character
// secret.
func newKeyPair() (id, secret string, err error) {
	idBytes, secretBytes := make([]byte, 10), make([]byte, 30)
	if _, err := rand.Read(idBytes); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(secretBytes); err != nil {
		return "", "", err
	}
	return "FLOE" + base32.StdEncoding.EncodeToString(idBytes), base64.StdEncoding.EncodeToString(secretBytes), nil
}

// parseDevKey parses an access key file (see devKey).
func parseDevKey(b []byte) (devKey, error) {
	var k devKey
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		switch {
		case !ok:
			return devKey{}, fmt.Errorf("line %q is not NAME=VALUE", line)
		case name == "AWS_ACCESS_KEY_ID":
			k.ID = value
		case name == "AWS_SECRET_ACCESS_KEY":
			k.Secret = value
		}
	}
	if k.ID == "" || k.Secret == "" {
		return devKey{}, errors.New("want AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines")
	}
	return k, nil
}

// newClusterSecret returns the file content of a new random cluster secret:
// 32 bytes, hex-encoded.
func newClusterSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(b) + "\n"), nil
}

// loadOrCreate returns the content of the file at path, without trailing
// newlines, first creating it (mode 0600) with what create returns if it
// does not exist.
func loadOrCreate(path string, create func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if b, err = create(); err != nil {
			return nil, fmt.Errorf("generating %s: %w", path, err)
		}
		err = writeFileAtomic(path, b, 0o600)
	}
	if err != nil {
		return nil, err
	}
	b = []byte(strings.TrimRight(string(b), "\r\n"))
	if len(b) == 0 {
		return nil, fmt.Errorf("%s is empty (delete it to generate a new one)", path)
	}
	return b, nil
}

// writeFileAtomic writes data to path through a temporary file renamed into
// place, so a crash leaves either no file or the whole of it.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// lockDir takes an exclusive lock on dir for this process, so that two
// floe dev never share a data directory, and returns its release.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, devLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is in use by another floe dev (pid %s)", dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("locking data directory: %w", err)
	}
	// The pid is only for the message above; the lock is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

// clientEndpoint turns the endpoint the gateway serves on into one a client
// can connect to: a wildcard host becomes 127.0.0.1.
func clientEndpoint(endpoint string) string {
	scheme, hostport, ok := strings.Cut(endpoint, "://")
	if !ok {
		return endpoint
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return endpoint
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return scheme + "://" + net.JoinHostPort("127.0.0.1", port)
	}
	return endpoint
}

// printDevBanner tells the user how to reach the running cluster. The
// database URL is printed with any password masked.
func printDevBanner(w io.Writer, dir, endpoint, dsn string, key devKey) {
	fmt.Fprintf(w, `Floe dev is running, with its data in %s.

  Endpoint:           %s
  Region:             %s
  Access key ID:      %s
  Secret access key:  %s
  DATABASE_URL:       %s

Try it:

  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s aws --endpoint-url %s s3 ls

Another access key, e.g. for a second user (floe admin also takes that DATABASE_URL):

  floe admin key create --data %s

Stop with Ctrl+C; running floe dev again on the same directory keeps the data.
`, dir, endpoint, devRegion, key.ID, key.Secret, redactDSN(dsn), key.ID, key.Secret, endpoint, shellQuote(dir))
}

// kvPassword matches the password of a keyword/value connection string:
// password=secret or password='sec ret'.
var kvPassword = regexp.MustCompile(`(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactDSN returns dsn, a PostgreSQL URL or keyword/value string, with
// any password replaced by xxxxx, for printing.
func redactDSN(dsn string) string {
	scheme, rest, isURL := strings.Cut(dsn, "://")
	isURL = isURL && (scheme == "postgres" || scheme == "postgresql")
	if !isURL {
		return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// Unparsable (say, an unescaped '/' or '?' in the password), yet
		// it may hold user:password@ all the same: mask all from the
		// first ':' to the last '@', erring on the side of hiding more.
		at := strings.LastIndex(rest, "@")
		if colon := strings.Index(rest[:max(at, 0)], ":"); at >= 0 && colon >= 0 {
			return scheme + "://" + rest[:colon+1] + "xxxxx" + rest[at:]
		}
		return dsn
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// shellQuote returns s as one word for a POSIX shell, quoted only if it
// needs to be, so the command the banner prints can be pasted.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@%=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
