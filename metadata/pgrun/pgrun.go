//go:build unix

// Package pgrun runs a private PostgreSQL server: a child process on a data
// directory of its own, listening on 127.0.0.1 at a free port. Tests use it
// (through package pgtest) and so does `floe dev`.
//
// With Options.Throwaway (tests) fsync, full_page_writes and
// synchronous_commit are off, so an operating system crash (not a process
// crash) can corrupt the data; otherwise PostgreSQL's durable defaults hold.
// Authentication is "trust" for local connections as user postgres.
//
// PostgreSQL refuses to run as root. When the caller is root, initdb and
// postgres run as the system user "postgres" and the data directory is
// given to that user.
package pgrun

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"
)

// User is the database superuser that initdb creates and DSN names.
const User = "postgres"

// readyTimeout bounds how long a started server may take to accept
// connections; crash recovery of a dev cluster can take a while.
const readyTimeout = 60 * time.Second

// stopTimeout is how long Stop waits for a fast shutdown before killing.
const stopTimeout = 30 * time.Second

// maxSocketDir keeps the Unix socket path (dir/.s.PGSQL.NNNNN) within the
// 107 bytes sockaddr_un allows; longer data directories get TCP only.
const maxSocketDir = 90

// Server is a running PostgreSQL server. Its methods are safe for concurrent
// use.
type Server struct {
	dir  string
	port int
	bin  string // directory holding initdb and postgres
	cred *syscall.Credential
	log  zerolog.Logger
	tail *tailBuffer
	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd's exit status, once done
}

// Options tune a private server.
type Options struct {
	// Throwaway trades durability for speed: for test databases only.
	Throwaway bool
}

// Start runs PostgreSQL on data directory dir, first creating a cluster
// there with initdb if dir is missing or empty, and returns once it accepts
// connections. Output of the server is logged to log at debug level.
func Start(ctx context.Context, dir string, log zerolog.Logger, opts Options) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgrun: %w", err)
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, cred: cred, log: log, tail: newTailBuffer(50), opts: opts}
	if err := s.initdb(ctx); err != nil {
		return nil, err
	}
	// Another process may take the free port before postgres binds it.
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, fmt.Errorf("pgrun: finding a free port: %w", err)
		}
		err = s.start(ctx)
		if err == nil || attempt == 3 || ctx.Err() != nil || !strings.Contains(s.tail.String(), "could not bind") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DSN returns a connection string for database postgres on the server, as
// user postgres over TCP.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", User, s.port)
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Dir returns the server's data directory.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down (a fast shutdown: sessions are disconnected,
// data is written out) and waits for it to exit, killing it if it takes too
// long. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
	default:
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("pgrun: stopping postgres: %w", err)
		}
		select {
		case <-done:
		case <-time.After(stopTimeout):
			s.log.Warn().Str("dir", s.dir).Msg("postgres did not shut down in time; killing it")
			_ = cmd.Process.Kill()
			<-done
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == cmd {
		s.cmd = nil
	}
	return nil
}

// Restart starts a stopped server again on the same directory and port,
// so DSNs handed out before stay valid.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return errors.New("pgrun: restart: server is running")
	}
	return s.start(ctx)
}

// initdb creates a cluster in s.dir unless one is there.
func (s *Server) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dir, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("pgrun: %w", err)
	}
	if err := s.own(s.dir); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "initdb"),
		"-D", s.dir, "-U", User, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	s.prepare(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		hint := ""
		if s.cred != nil {
			hint = " (it runs as user postgres, who must be able to reach the directory)"
		}
		return fmt.Errorf("pgrun: initdb %s%s: %w\n%s", s.dir, hint, err, out)
	}
	return nil
}

// own gives dir to the user postgres will run as, with the 0700
// permissions postgres insists on.
func (s *Server) own(dir string) error {
	if s.cred != nil {
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fmt.Errorf("pgrun: giving %s to user postgres: %w", dir, err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgrun: %w", err)
	}
	return nil
}

// prepare sets what every child process shares: its user, a working
// directory it may enter, and death with this process.
func (s *Server) prepare(cmd *exec.Cmd) {
	cmd.Dir = s.dir
	cmd.SysProcAttr = sysProcAttr(s.cred)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
}

// start launches postgres on s.port and waits until it accepts connections.
func (s *Server) start(ctx context.Context) error {
	socketDir := ""
	if len(s.dir) <= maxSocketDir {
		socketDir = s.dir
	}
	args := []string{"-D", s.dir, "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + socketDir,
		"-c", "max_connections=300"}
	if s.opts.Throwaway {
		args = append(args, "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), args...)
	s.prepare(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("pgrun: %w", err)
	}
	cmd.Stdout = nil
	s.tail.Reset()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgrun: starting postgres: %w", err)
	}
	done := make(chan struct{})
	logged := make(chan struct{})
	go s.logOutput(stderr, logged)
	go func() {
		<-logged // Wait must not close the pipe while it is being read
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	if err := s.waitReady(ctx, done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		s.mu.Lock()
		s.cmd = nil
		s.mu.Unlock()
		return fmt.Errorf("pgrun: postgres on %s port %d: %w\n%s", s.dir, s.port, err, s.tail)
	}
	s.log.Debug().Str("dir", s.dir).Int("port", s.port).Msg("postgres ready")
	return nil
}

// waitReady polls until the server accepts a connection.
func (s *Server) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgconn.Connect(cctx, s.DSN())
		ccancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-exited:
			s.mu.Lock()
			defer s.mu.Unlock()
			return fmt.Errorf("exited while starting: %v", s.err)
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logOutput copies the server's output to the log and the tail buffer.
func (s *Server) logOutput(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s.tail.Add(line)
		ev := s.log.Debug()
		if strings.Contains(line, "PANIC:") {
			ev = s.log.Error()
		}
		ev.Str("postgres", s.dir).Msg(line)
	}
	_, _ = io.Copy(io.Discard, r)
}

// findBinaries returns the directory holding initdb and postgres: the one
// on PATH, else the newest under /usr/lib/postgresql (Debian keeps them off
// PATH).
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("pgrun: PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin; install them, e.g. apt-get install postgresql")
}

// version extracts N from /usr/lib/postgresql/N/bin/initdb.
func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// credential returns who to run PostgreSQL as: nil (this process's user)
// unless this process is root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgrun: PostgreSQL refuses to run as root and there is no postgres user to run it as (apt-get install postgresql creates one): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgrun: user postgres has non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last lines of the server's output for error
// messages.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) == b.max {
		b.lines = append(b.lines[:0], b.lines[1:]...)
	}
	b.lines = append(b.lines, line)
}

func (b *tailBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}
