package pgserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Source says where a Server came from.
type Source string

const (
	// SourceDatabaseURL: the server named by DATABASE_URL.
	SourceDatabaseURL Source = "DATABASE_URL"
	// SourceLocal: the local server found through PG* variables or 127.0.0.1:5432.
	SourceLocal Source = "local"
	// SourcePrivate: a private cluster started (or found running) in the data folder.
	SourcePrivate Source = "private"
)

// Server is a PostgreSQL server the ledger can use. URL points at its maintenance
// database (for DATABASE_URL: exactly the given URL).
type Server struct {
	URL    string
	Source Source
	// DataDir is the private cluster's folder (SourcePrivate only).
	DataDir string
	stop    func() error
	// ctl runs pg_ctl on a private cluster this process started (nil otherwise).
	ctl *clusterCtl
}

// clusterCtl drives a private cluster with pg_ctl: its binaries, the user it runs
// as, and the options (port, socket folder) it was first started with.
type clusterCtl struct {
	bin     string
	dataDir string
	cred    *syscall.Credential
	opts    string
	logger  *slog.Logger
}

func (c *clusterCtl) pgCtl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.dataDir}, args...)...)
	cmd.Dir = c.dataDir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *clusterCtl) start(ctx context.Context) error {
	return c.pgCtl(ctx, "-o", c.opts, "-l", filepath.Join(c.dataDir, "server.log"), "-w", "-t", "60", "start")
}

func (c *clusterCtl) stop(ctx context.Context) error {
	return c.pgCtl(ctx, "-m", "fast", "-w", "stop")
}

// running reports whether the cluster's postmaster is up (postmaster.pid exists).
func (c *clusterCtl) running() bool {
	_, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid"))
	return err == nil
}

// StartPrivate creates (initdb, when the folder holds no cluster yet) and starts a
// private cluster in dataDir, listening on 127.0.0.1 on a free port, from the
// machine's PostgreSQL binaries (PASSLEDGER_PGBIN, else /usr/lib/postgresql/*/bin),
// as the "postgres" user when invoked as root: dataDir and its parents must then be
// reachable by that user. Close stops it. Unlike Resolve, it never reuses a server
// already running in dataDir and never looks at DATABASE_URL: it is for tests that
// need a server of their own to stop and start (Stop, Start) without disturbing
// anybody else's.
func StartPrivate(ctx context.Context, dataDir string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if port, ok := runningPort(dataDir); ok {
		return nil, fmt.Errorf("private cluster: %s is already running (port %d)", dataDir, port)
	}
	return startPrivate(ctx, dataDir, logger, 3*time.Second)
}

// Stop stops a private cluster this process started (pg_ctl stop -m fast: open
// sessions are terminated, and new connections refused) and returns once it is
// down. Start starts it again, on the same port. An error for any other server.
func (s *Server) Stop(ctx context.Context) error {
	if s == nil || s.ctl == nil {
		return errors.New("pgserver: Stop: not a private cluster started by this process")
	}
	s.ctl.logger.Info("stopping private PostgreSQL", "data", s.DataDir)
	return s.ctl.stop(ctx)
}

// Start starts again a private cluster stopped by Stop, on the same port and with
// the same options, and returns once it accepts connections.
func (s *Server) Start(ctx context.Context) error {
	if s == nil || s.ctl == nil {
		return errors.New("pgserver: Start: not a private cluster started by this process")
	}
	s.ctl.logger.Info("starting private PostgreSQL again", "data", s.DataDir)
	if err := s.ctl.start(ctx); err != nil {
		return err
	}
	return ping(ctx, s.URL, 3*time.Second)
}

// Close stops the private cluster if this process started it; otherwise it does
// nothing.
func (s *Server) Close() error {
	if s == nil || s.stop == nil {
		return nil
	}
	stop := s.stop
	s.stop = nil
	return stop()
}

// Options tune Resolve. The zero value reads everything from the environment.
type Options struct {
	// Getenv reads configuration; nil means os.Getenv.
	Getenv func(string) string
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
	// ConnectTimeout bounds each probe; zero means 3 s.
	ConnectTimeout time.Duration
}

// ErrDatabaseURLUnreachable is returned when DATABASE_URL is set but does not answer.
var ErrDatabaseURLUnreachable = errors.New("DATABASE_URL does not answer")

// Resolve finds or starts the server, in the order described in the package doc.
func Resolve(ctx context.Context, opts Options) (*Server, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	timeout := opts.ConnectTimeout
	if timeout == 0 {
		timeout = 3 * time.Second
	}

	if dsn := getenv("DATABASE_URL"); dsn != "" {
		if err := ping(ctx, dsn, timeout); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrDatabaseURLUnreachable, redact(dsn), err)
		}
		return &Server{URL: dsn, Source: SourceDatabaseURL}, nil
	}

	local := localURL(getenv)
	err := ping(ctx, local, timeout)
	if err == nil {
		logger.Info("using local PostgreSQL", "url", redact(local))
		return &Server{URL: local, Source: SourceLocal}, nil
	}
	if !isUnreachable(err) {
		// Something answered but refused us: that is a configuration problem to fix,
		// not a reason to start another server behind the user's back.
		return nil, fmt.Errorf("local PostgreSQL at %s answered but refused: %w", redact(local), err)
	}
	logger.Info("no local PostgreSQL answers; starting a private cluster", "tried", redact(local), "reason", err)
	dataDir := getenv("PASSLEDGER_PGDATA")
	if dataDir == "" {
		dataDir = ".pgdata"
	}
	return startPrivate(ctx, dataDir, logger, timeout)
}

// localURL builds the URL of the local server from the standard PG* variables.
func localURL(getenv func(string) string) string {
	host := firstNonEmpty(getenv("PGHOST"), "127.0.0.1")
	port := firstNonEmpty(getenv("PGPORT"), "5432")
	userName := firstNonEmpty(getenv("PGUSER"), "postgres")
	db := firstNonEmpty(getenv("PGDATABASE"), "postgres")
	u := url.URL{Scheme: "postgres", User: url.User(userName), Path: "/" + db}
	q := url.Values{}
	q.Set("sslmode", firstNonEmpty(getenv("PGSSLMODE"), "disable"))
	if strings.HasPrefix(host, "/") {
		q.Set("host", host)
		q.Set("port", port)
	} else {
		u.Host = net.JoinHostPort(host, port)
	}
	if pw := getenv("PGPASSWORD"); pw != "" {
		u.User = url.UserPassword(userName, pw)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func ping(ctx context.Context, dsn string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// isUnreachable reports whether err means "nothing listens there" rather than
// "something answered and refused".
func isUnreachable(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ENOENT) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such file or directory") ||
		strings.Contains(msg, "timeout") || strings.Contains(msg, "the database system is starting up") ||
		strings.Contains(msg, "the database system is shutting down")
}

// binDir finds the folder holding initdb and pg_ctl.
func binDir() (string, error) {
	if dir := os.Getenv("PASSLEDGER_PGBIN"); dir != "" {
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	for _, m := range matches {
		if _, err := os.Stat(filepath.Join(m, "pg_ctl")); err == nil {
			return m, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL binaries found (looked in /usr/lib/postgresql/*/bin and PATH; set PASSLEDGER_PGBIN)")
}

func versionOf(binPath string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binPath)))
	return v
}

// runAs returns the credential to run PostgreSQL with: nil when we are not root.
func runAs() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name, nil
	}
	return nil, "", errors.New("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")
}

func startPrivate(ctx context.Context, dataDir string, logger *slog.Logger, timeout time.Duration) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dataDir, err = filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	cred, userName, err := runAs()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("private cluster: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dataDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("private cluster: chown %s: %w", dataDir, err)
		}
		if err := checkTraversable(dataDir); err != nil {
			return nil, fmt.Errorf("private cluster: %s is not reachable by user %s (%w); set PASSLEDGER_PGDATA to a folder it can reach", dataDir, userName, err)
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Dir = dataDir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}

	// Already running (another `make run` or `make test` started it)? Reuse it.
	if port, ok := runningPort(dataDir); ok {
		dsn := privateURL(port)
		if ping(ctx, dsn, timeout) == nil {
			logger.Info("reusing running private PostgreSQL", "data", dataDir, "port", port)
			return &Server{URL: dsn, Source: SourcePrivate, DataDir: dataDir}, nil
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		logger.Info("initialising private PostgreSQL cluster", "data", dataDir, "as", userName)
		if err := run("initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"); err != nil {
			return nil, fmt.Errorf("private cluster: %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ctl := &clusterCtl{bin: bin, dataDir: dataDir, cred: cred, logger: logger,
		opts: fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200", port, dataDir)}
	if err := ctl.start(ctx); err != nil {
		return nil, fmt.Errorf("private cluster: %w", err)
	}
	dsn := privateURL(port)
	if err := ping(ctx, dsn, timeout); err != nil {
		_ = ctl.stop(context.Background())
		return nil, fmt.Errorf("private cluster started but does not answer: %w", err)
	}
	logger.Info("private PostgreSQL started", "data", dataDir, "port", port)
	return &Server{URL: dsn, Source: SourcePrivate, DataDir: dataDir, ctl: ctl, stop: func() error {
		if !ctl.running() { // stopped with Stop and not started again
			return nil
		}
		logger.Info("stopping private PostgreSQL", "data", dataDir)
		return ctl.stop(context.Background())
	}}, nil
}

func privateURL(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// runningPort reads the port of a running cluster from postmaster.pid (line 4).
func runningPort(dataDir string) (int, bool) {
	f, err := os.Open(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		if i == 4 {
			p, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
			return p, err == nil
		}
	}
	return 0, false
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("private cluster: no free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkTraversable verifies that every parent folder lets others through (o+x), so a
// non-root PostgreSQL can reach a data folder made by root.
func checkTraversable(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s is not searchable by others", d)
		}
		if d == "/" || d == "." {
			return nil
		}
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// redact hides a password in a URL for logs and errors.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
