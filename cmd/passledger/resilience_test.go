package main

// System tests of the write path's resilience: the real passledger binary, run as
// a subprocess, over real HTTP, on a real PostgreSQL.
//
//   - TestResilienceKillDuringRedemptions: kill -9 of the server during 20,000
//     redemptions, restart, retries with the same Idempotency-Keys.
//   - TestResilienceDatabaseOutage: PostgreSQL (a private cluster of the test's
//     own) stopped for 5 s under load.
//
// Both check the same promises at the end (checkLedger): every request was
// answered once retried with its key, every acknowledged redemption is in the log
// exactly once, no cheque is redeemed twice, every key is recorded, and a repeat of
// a key gives back the identical first answer.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/pgserver"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/projectiontest"
)

var (
	testDB *pgtest.DB
	// binary is the passledger binary built by TestMain.
	binary string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "passledger-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "passledger")
	// -trimpath -ldflags="-s -w", as make test builds the test binaries: the
	// packages compiled for this test binary serve the server's binary too.
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build passledger:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := pgtest.Main(m, &testDB)
	os.RemoveAll(dir)
	os.Exit(code)
}

// ---------------------------------------------------------------------------------
// The server process.

// ledgerProc is one `passledger serve` subprocess.
type ledgerProc struct {
	t     *testing.T
	dbURL string
	addr  string
	log   *os.File
	cmd   *exec.Cmd
	done  chan error
}

// startLedger starts `passledger serve --addr addr` on dbURL and waits until it
// answers /healthz. Its output goes to log (shown when the test fails).
func startLedger(t *testing.T, dbURL, addr string, log *os.File) *ledgerProc {
	t.Helper()
	p, err := tryStartLedger(t, dbURL, addr, log)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tryStartLedger is startLedger for goroutines other than the test's.
func tryStartLedger(t *testing.T, dbURL, addr string, log *os.File) (*ledgerProc, error) {
	cmd := exec.Command(binary, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "PASSLEDGER_LOG_FORMAT=text")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &ledgerProc{t: t, dbURL: dbURL, addr: addr, log: log, cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			return nil, fmt.Errorf("passledger serve exited at start: %v\n%s", err, tail(log, 4000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("passledger serve does not answer on %s\n%s", addr, tail(log, 4000))
		}
	}
}

// kill sends SIGKILL and waits for the process to end (no-op once ended).
func (p *ledgerProc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	err := <-p.done
	p.done <- err
}

// stop sends SIGTERM (graceful shutdown) and waits for a clean exit.
func (p *ledgerProc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			p.t.Fatalf("passledger serve did not stop cleanly: %v\n%s", err, tail(p.log, 4000))
		}
	case <-time.After(30 * time.Second):
		p.kill()
		p.t.Fatalf("passledger serve did not stop within 30 s\n%s", tail(p.log, 4000))
	}
}

func logFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "passledger.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (end):\n%s", tail(f, 8000))
		}
		f.Close()
	})
	return f
}

// checkServerLog fails the test when the server logged a 500 (request failed), a
// panic, or projections that stopped for good.
func checkServerLog(t *testing.T, f *os.File) {
	t.Helper()
	raw, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, `msg="request failed"`) || strings.Contains(line, "panic") ||
			strings.Contains(line, `msg="projections stopped"`) {
			t.Errorf("server log: %s", line)
		}
	}
}

// tail returns the last n bytes of f.
func tail(f *os.File, n int64) string {
	raw, err := os.ReadFile(f.Name())
	if err != nil {
		return err.Error()
	}
	if int64(len(raw)) > n {
		raw = raw[int64(len(raw))-n:]
	}
	return string(raw)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ---------------------------------------------------------------------------------
// HTTP.

type client struct {
	http *http.Client
	base string
}

func newClient(addr string, conns int, timeout time.Duration) *client {
	return &client{base: "http://" + addr, http: &http.Client{Timeout: timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: conns * 2}}}
}

// answer is one HTTP exchange: err when no answer came (transport error).
type answer struct {
	start, end  time.Time
	err         error
	status      int
	contentType string
	retryAfter  string
	replayed    bool
	body        []byte
}

func (a answer) latency() time.Duration { return a.end.Sub(a.start) }

// problemType is the type of a problem+json answer ("" otherwise).
func (a answer) problemType() string {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(a.body, &p)
	return p.Type
}

func (a answer) String() string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	return fmt.Sprintf("%d %s %s", a.status, a.contentType, bytes.TrimSpace(a.body))
}

// do sends one request and returns its answer.
//
// Note: net/http's Transport treats a request with an Idempotency-Key header as
// idempotent and, when a reused keep-alive connection breaks before any answer,
// sends it once more by itself; the error then reported is the second try's (often
// "connection refused" after a kill), although the first one reached the server.
func (c *client) do(method, path, token, key string, body []byte) answer {
	a := answer{start: time.Now()}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		panic(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err == nil {
		a.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		a.status = resp.StatusCode
		a.contentType = resp.Header.Get("Content-Type")
		a.retryAfter = resp.Header.Get("Retry-After")
		a.replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	}
	a.err = err
	a.end = time.Now()
	return a
}

// post sends a write (with a fresh key) and decodes a 2xx answer into out.
func (c *client) post(t *testing.T, path, token string, in, out any) {
	t.Helper()
	if err := c.tryPost(path, token, in, out); err != nil {
		t.Fatal(err)
	}
}

func (c *client) tryPost(path, token string, in, out any) error {
	body, _ := json.Marshal(in)
	a := c.do("POST", path, token, newKey(), body)
	if a.err != nil || a.status >= 300 {
		return fmt.Errorf("POST %s: %s", path, a)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			return fmt.Errorf("POST %s: %v", path, err)
		}
	}
	return nil
}

func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---------------------------------------------------------------------------------
// The world: a funder, a prescriber, a labelled place in 63, a programme with
// 50-cheque carnets, minted and issued (as cmd/loadgen builds it).

type world struct {
	admin, auditor       string
	placeTok, placeTokID string
	cheques              []api.MintedCheque
}

func buildWorld(t *testing.T, c *client, pool *pgxpool.Pool, cheques int) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{}
	var err error
	if _, w.admin, err = api.CreateToken(ctx, pool, api.RoleAdmin, "", "resilience test"); err != nil {
		t.Fatal(err)
	}
	if _, w.auditor, err = api.CreateToken(ctx, pool, api.RoleAuditor, "", "resilience test"); err != nil {
		t.Fatal(err)
	}
	var f, prs, plc api.CreatedResponse
	c.post(t, "/v1/funders", w.admin, map[string]any{"name": "État", "kind": "state"}, &f)
	c.post(t, "/v1/prescribers", w.admin, map[string]any{"name": "CCAS", "kind": "ccas", "territory": "63"}, &prs)
	c.post(t, "/v1/places", w.admin, map[string]any{"name": "EPN", "siret": "73282932000074", "territory": "63"}, &plc)
	c.post(t, "/v1/places/"+plc.ID+"/label", w.admin, map[string]any{"action": "grant", "effective_on": "2020-01-01"}, nil)
	today := time.Now().UTC()
	var pgm api.ProgrammeResponse
	c.post(t, "/v1/programmes", w.admin, map[string]any{"name": "Resilience", "territory": "63",
		"valid_from": today.AddDate(0, -1, 0).Format("2006-01-02"), "valid_until": today.AddDate(1, 0, 0).Format("2006-01-02"),
		"cheque_value": "10.00", "cheques_per_carnet": 50,
		"funding": []map[string]any{{"funder_id": f.ID, "amount": fmt.Sprintf("%d.00", cheques*10+1000)}}}, &pgm)
	_, prsTok, err := api.CreateToken(ctx, pool, api.RolePrescriber, prs.ID, "resilience test")
	if err != nil {
		t.Fatal(err)
	}
	if w.placeTokID, w.placeTok, err = api.CreateToken(ctx, pool, api.RolePlace, plc.ID, "resilience test"); err != nil {
		t.Fatal(err)
	}
	carnets := (cheques + 49) / 50
	for minted := 0; minted < carnets; minted += 100 {
		var m api.MintResponse
		c.post(t, "/v1/programmes/"+pgm.ID+"/mint", w.admin, map[string]any{"carnets": min(100, carnets-minted), "prescriber_id": prs.ID}, &m)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i, cn := range m.Carnets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := c.tryPost("/v1/carnets/"+cn.ID+"/issue", prsTok, map[string]any{"beneficiary_ref": fmt.Sprintf("RES-%d-%d", minted, i), "need_level": "inclusion"}, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for _, cn := range m.Carnets {
			w.cheques = append(w.cheques, cn.Cheques...)
		}
	}
	w.cheques = w.cheques[:cheques]
	return w
}

// ---------------------------------------------------------------------------------
// Redemptions.

// job is one redemption: one cheque, one Idempotency-Key, one body, retried with
// both until it gets an answer.
type job struct {
	serial string
	key    string
	body   []byte

	attempts []answer // every exchange, in order
	final    answer   // the first answer that was neither "no answer" nor 503
	answered bool
}

// unanswered reports whether a got no answer the client may keep: a transport
// error or a 503 (nothing was recorded, retry with the same key).
func unanswered(a answer) bool { return a.err != nil || a.status == http.StatusServiceUnavailable }

// retried reports whether the job needed more than one exchange.
func (j *job) retried() bool { return len(j.attempts) > 1 }

func newJobs(cheques []api.MintedCheque) []*job {
	today := time.Now().UTC().Format("2006-01-02")
	jobs := make([]*job, len(cheques))
	for i, ch := range cheques {
		body, _ := json.Marshal(map[string]any{"serial": ch.Serial, "check_code": ch.CheckCode, "session_date": today, "service": "atelier"})
		jobs[i] = &job{serial: ch.Serial, key: newKey(), body: body}
	}
	return jobs
}

// run sends j, and sends it again with the same key and body after every transport
// error or 503 (pausing between tries), until it gets an answer or giveUp passes.
// onAttempt sees every exchange.
func (j *job) run(c *client, token string, pause time.Duration, giveUp time.Duration, onAttempt func(answer)) {
	deadline := time.Now().Add(giveUp)
	for {
		a := c.do("POST", "/v1/redemptions", token, j.key, j.body)
		j.attempts = append(j.attempts, a)
		if onAttempt != nil {
			onAttempt(a)
		}
		if !unanswered(a) {
			j.final, j.answered = a, true
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(pause)
	}
}

// logReplays shows, for a few keys whose retry was answered with a replay (the
// first request was committed, its answer lost), what each try got.
func logReplays(t *testing.T, jobs []*job) {
	t.Helper()
	shown := 0
	for _, j := range jobs {
		if !j.retried() || !j.final.replayed || shown == 3 {
			continue
		}
		shown++
		var tries []string
		for _, a := range j.attempts {
			s := a.String()
			if a.err == nil {
				s = fmt.Sprintf("%d %s", a.status, a.problemType())
			}
			tries = append(tries, fmt.Sprintf("%s (%s)", s, a.latency().Round(time.Millisecond)))
		}
		t.Logf("key %s: %s, then a replay", j.key, strings.Join(tries[:len(tries)-1], "; "))
	}
}

// checkAnswers checks that every job got a 201 (the first run, or a replay of it).
// It returns the redemption of each job.
func checkAnswers(t *testing.T, jobs []*job) map[string]api.RedemptionResponse {
	t.Helper()
	out := make(map[string]api.RedemptionResponse, len(jobs))
	bad := 0
	for _, j := range jobs {
		switch {
		case !j.answered:
			bad++
			if bad <= 5 {
				t.Errorf("key %s (cheque %s) never answered after %d tries; last: %s", j.key, j.serial, len(j.attempts), j.attempts[len(j.attempts)-1])
			}
		case j.final.status == http.StatusConflict && strings.HasSuffix(j.final.problemType(), "idempotency-key-reused"):
			bad++
			if bad <= 5 {
				t.Errorf("key %s answered 409 in flight / reused: %s", j.key, j.final)
			}
		case j.final.status != http.StatusCreated:
			bad++
			if bad <= 5 {
				t.Errorf("key %s (cheque %s, try %d): want 201, got %s", j.key, j.serial, len(j.attempts), j.final)
			}
		default:
			var r api.RedemptionResponse
			if err := json.Unmarshal(j.final.body, &r); err != nil || r.ID == "" || r.Serial != j.serial {
				bad++
				t.Errorf("key %s: bad redemption %s (%v)", j.key, j.final.body, err)
				continue
			}
			if j.final.replayed && !j.retried() {
				t.Errorf("key %s: first request answered as a replay", j.key)
			}
			out[j.serial] = r
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d redemptions did not end in 201", bad, len(jobs))
	}
	return out
}

// checkLedger checks the log against the answers: every key of the place's token
// is recorded once (no key in flight, none lost), every cheque has exactly one
// ChequeRedeemed, whose redemption id is the one its answer gave.
func checkLedger(t *testing.T, pool *pgxpool.Pool, w *world, jobs []*job, acked map[string]api.RedemptionResponse) {
	t.Helper()
	ctx := context.Background()
	var keys int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM event_idempotency WHERE key LIKE $1`,
		"http:"+w.placeTokID+":%").Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != len(jobs) {
		t.Errorf("idempotency records for the place's keys: %d, want %d (one per request)", keys, len(jobs))
	}
	// No key in flight: once the load is over, no transaction holds an advisory
	// (stream or key) lock for long. The chainer takes one for a moment every
	// interval, hence a few looks.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var held int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d advisory locks still held 5 s after the load: keys in flight", held)
			break
		}
	}
	rows, err := pool.Query(ctx, `SELECT stream_id, count(*), min(payload->>'redemption_id'), min(payload->>'serial')
		FROM events WHERE event_type = 'ChequeRedeemed' GROUP BY stream_id`)
	if err != nil {
		t.Fatal(err)
	}
	ledger := map[string]string{} // serial → redemption id
	doubled := 0
	for rows.Next() {
		var stream, id, serial string
		var n int
		if err := rows.Scan(&stream, &n, &id, &serial); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			doubled++
			t.Errorf("cheque %s redeemed %d times", serial, n)
		}
		ledger[serial] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ledger) != len(jobs) {
		t.Errorf("cheques redeemed in the log: %d, want %d", len(ledger), len(jobs))
	}
	lost := 0
	for serial, r := range acked {
		if got, ok := ledger[serial]; !ok || got != r.ID {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged redemption %s of cheque %s: in the log as %q", r.ID, serial, got)
			}
		}
	}
	if lost > 0 || doubled > 0 {
		t.Errorf("%d acknowledged redemptions missing from the log, %d cheques redeemed more than once", lost, doubled)
	}
}

// checkReplays sends each job again, with its key and body: the answer must be the
// first one, byte for byte (same redemption id, same signed receipt), marked
// Idempotent-Replayed.
func checkReplays(t *testing.T, c *client, token string, jobs []*job) {
	t.Helper()
	bad := 0
	for _, j := range jobs {
		if !j.answered {
			continue
		}
		a := c.do("POST", "/v1/redemptions", token, j.key, j.body)
		if a.err != nil || a.status != j.final.status || !a.replayed || !bytes.Equal(a.body, j.final.body) {
			bad++
			if bad <= 5 {
				t.Errorf("repeat of key %s: got %s (replayed %v), want the first answer %s", j.key, a, a.replayed, j.final)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d repeats did not give back the first answer", bad, len(jobs))
	}
}

// checkReads reads each job's cheque back through the API, as an auditor, at its
// redemption's position: redeemed, by the redemption its answer gave.
func checkReads(t *testing.T, c *client, token string, jobs []*job, acked map[string]api.RedemptionResponse) {
	t.Helper()
	bad := 0
	for _, j := range jobs {
		r, ok := acked[j.serial]
		if !ok {
			continue
		}
		a := waitRead(t, c, token, "/v1/cheques/"+j.serial, r.Position, 30*time.Second)
		var st cheques.State
		if err := json.Unmarshal(a.body, &st); err != nil || st.Status != cheques.StatusRedeemed || st.Redemption == nil || st.Redemption.RedemptionID != r.ID {
			bad++
			if bad <= 5 {
				t.Errorf("GET /v1/cheques/%s: %s, want redeemed by %s", j.serial, a.body, r.ID)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cheques read back wrong", bad, len(jobs))
	}
}

// maxPosition is the largest position the answers gave.
func maxPosition(acked map[string]api.RedemptionResponse) (serial string, pos int64) {
	for s, r := range acked {
		if r.Position > pos {
			serial, pos = s, r.Position
		}
	}
	return serial, pos
}

// waitRead GETs path with ?min_position=pos until 200 (a projection that lags
// answers 503 projection-lagging), for at most d.
func waitRead(t *testing.T, c *client, token, path string, pos int64, d time.Duration) answer {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		a := c.do("GET", fmt.Sprintf("%s?min_position=%d", path, pos), token, "", nil)
		if a.err == nil && a.status == 200 {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s?min_position=%d: %s", path, pos, a)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------
// Projections against a rebuild.

// projectionState reads the fingerprint of every projection table
// (projectiontest.Take); the checkpoints, which waitProjections checked, are
// left out.
func projectionState(t *testing.T, pool *pgxpool.Pool) projectiontest.State {
	t.Helper()
	st, err := projectiontest.Take(context.Background(), pool, projectiontest.Tables(projections.All()))
	if err != nil {
		t.Fatal(err)
	}
	delete(st, projectiontest.Checkpoints)
	return st
}

// waitProjections waits until every projection's checkpoint is at the last event
// of the log (in the gap-free reading order).
func waitProjections(t *testing.T, pool *pgxpool.Pool, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(d)
	for {
		var behind, total int
		err := pool.QueryRow(ctx, `WITH last AS (SELECT transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1)
			SELECT count(*) FILTER (WHERE (c.transaction_id, c.position) < (l.transaction_id, l.position)), count(*)
			FROM projection_checkpoints c, last l`).Scan(&behind, &total)
		if err != nil {
			t.Fatal(err)
		}
		if behind == 0 && total > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d projections still behind the last event after %s", behind, total, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------
// Test 1: kill -9 during 20,000 redemptions.

func TestResilienceKillDuringRedemptions(t *testing.T) {
	t.Parallel()
	const (
		redemptions = 20000
		clients     = 32
		killAfter   = 5000 // acknowledged redemptions before the kill
	)
	began := time.Now()
	db := testDB.Fresh(t)
	log := logFile(t)
	addr := freeAddr(t)
	srv := startLedger(t, db.URL, addr, log)
	c := newClient(addr, clients, 30*time.Second)
	w := buildWorld(t, c, db.Pool, redemptions)
	t.Logf("world built in %s: %d cheques", time.Since(began).Round(time.Millisecond), len(w.cheques))

	jobs := newJobs(w.cheques)
	var (
		next, acked atomic.Int64
		killOnce    sync.Once
		killed      = make(chan struct{})
		restarted   = make(chan struct{})
		killedAt    time.Time
		downFor     time.Duration
	)
	// The killer: SIGKILL once killAfter redemptions were acknowledged, then the
	// same binary on the same database and address.
	var restartErr error
	go func() {
		<-killed
		killedAt = time.Now()
		srv.kill()
		srv, restartErr = tryStartLedger(t, db.URL, addr, log)
		downFor = time.Since(killedAt)
		close(restarted)
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				j.run(c, w.placeTok, 50*time.Millisecond, 90*time.Second, nil)
				if j.answered && j.final.status == http.StatusCreated && acked.Add(1) == killAfter {
					killOnce.Do(func() { close(killed) })
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-restarted:
		if restartErr != nil {
			t.Fatal(restartErr)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the server was never restarted")
	}
	load := time.Since(start)

	// Every request answered, with 201: the first run or a replay of it.
	answers := checkAnswers(t, jobs)
	var retried, replayed, ranOnRetry, transport, unavailable int
	var retriedJobs []*job
	for _, j := range jobs {
		for _, a := range j.attempts {
			if a.err != nil {
				transport++
			} else if a.status == http.StatusServiceUnavailable {
				unavailable++
				if a.contentType != "application/problem+json" || a.retryAfter == "" || !strings.HasSuffix(a.problemType(), "/unavailable") {
					t.Errorf("key %s: a 503 that is not an unavailable problem with Retry-After: %s (Retry-After %q)", j.key, a, a.retryAfter)
				}
			} else if a.status >= 500 {
				t.Errorf("key %s: %s", j.key, a)
			}
		}
		if j.retried() {
			retried++
			retriedJobs = append(retriedJobs, j)
			if j.final.replayed {
				replayed++
			} else {
				ranOnRetry++
			}
		}
	}
	t.Logf("%d redemptions by %d clients in %s (%.0f/s); killed after %d acknowledged, down %s; %d transport errors and %d 503s on %d keys, retried with the same key: %d replayed the first answer, %d ran once on retry",
		len(jobs), clients, load.Round(time.Millisecond), float64(len(jobs))/load.Seconds(), killAfter, downFor.Round(time.Millisecond),
		transport, unavailable, retried, replayed, ranOnRetry)
	logReplays(t, jobs)
	if retried == 0 {
		t.Errorf("the kill cut no request: nothing was tested")
	}

	// The ledger: every acknowledged redemption once, no cheque twice, every key
	// recorded.
	checkLedger(t, db.Pool, w, jobs, answers)

	// A repeat gives back the first answer, byte for byte: every retried key and
	// one key in 50 of the others.
	sample := retriedJobs
	for i, j := range jobs {
		if i%50 == 0 && !j.retried() {
			sample = append(sample, j)
		}
	}
	checkReplays(t, c, w.placeTok, sample)
	checkReads(t, c, w.auditor, sample, answers)
	checkServerLog(t, log)
	if t.Failed() {
		return
	}

	// Projections equal a rebuild.
	serial, pos := maxPosition(answers)
	waitRead(t, c, w.auditor, "/v1/cheques/"+serial, pos, 60*time.Second)
	waitProjections(t, db.Pool, 60*time.Second)
	srv.stop()
	live := projectionState(t, db.Pool)
	if n := live["cheques"].Rows; n != redemptions {
		t.Fatalf("cheques projection: %d rows, want %d", n, redemptions)
	}
	t0 := time.Now()
	replay := exec.Command(binary, "replay", "--progress", "log")
	replay.Env = append(os.Environ(), "DATABASE_URL="+db.URL)
	if out, err := replay.CombinedOutput(); err != nil {
		t.Fatalf("passledger replay: %v\n%s", err, out)
	}
	rebuilt := projectionState(t, db.Pool)
	projectiontest.Same(t, "live vs passledger replay", live, rebuilt)
	t.Logf("projections: %d rows in %d tables equal a rebuild (replay took %s); test took %s",
		live.Rows(), len(live), time.Since(t0).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// ---------------------------------------------------------------------------------
// Test 2: PostgreSQL stopped for 5 s under load.

func TestResilienceDatabaseOutage(t *testing.T) {
	// Beside the kill test (make test's -parallel 2): each has its own server
	// process and database — this one a cluster of its own — and this one mostly
	// waits (a 5 s outage).
	t.Parallel()
	const (
		cheques = 5000 // ~1,500 redeemed per second of load; 1 s before, 1 s after
		clients = 12
		outage  = 5 * time.Second
		// answerWithin bounds every answer while the database is away.
		answerWithin = time.Second
	)
	began := time.Now()
	ctx := context.Background()
	// A cluster of the test's own (never the shared server), in a folder the
	// postgres user can reach when the test runs as root.
	dir, err := os.MkdirTemp("", "passledger-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pg, err := pgserver.StartPrivate(ctx, filepath.Join(dir, "data"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Close(); err != nil {
			t.Error(err)
		}
	})
	admin, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE passledger_outage"); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	dbURL, err := ledgerdb.WithDatabase(pg.URL, "passledger_outage")
	if err != nil {
		t.Fatal(err)
	}
	log := logFile(t)
	addr := freeAddr(t)
	startLedger(t, dbURL, addr, log) // migrates
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c := newClient(addr, clients+2, 5*time.Second)
	w := buildWorld(t, c, pool, cheques)
	t.Logf("private cluster and world ready in %s", time.Since(began).Round(time.Millisecond))

	jobs := newJobs(w.cheques)
	var (
		mu       sync.Mutex
		all      []answer // every redemption exchange
		readyz   []answer
		next     atomic.Int64
		stopLoad = make(chan struct{})
		stopPoll = make(chan struct{})
	)
	record := func(a answer) {
		mu.Lock()
		all = append(all, a)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				jobs[i].run(c, w.placeTok, 100*time.Millisecond, 60*time.Second, record)
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	var pollWG sync.WaitGroup
	pollWG.Add(1)
	go func() {
		defer pollWG.Done()
		for {
			a := c.do("GET", "/readyz", "", "", nil)
			mu.Lock()
			readyz = append(readyz, a)
			mu.Unlock()
			select {
			case <-stopPoll:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	time.Sleep(time.Second) // under load
	stopBegin := time.Now()
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	down := time.Now() // from here on, PostgreSQL is away
	time.Sleep(outage)
	up := time.Now() // until here
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	started := time.Now()

	// Recovery without restart: a redemption sent after the restart succeeds
	// within a few seconds.
	var recovered time.Time
	for deadline := started.Add(15 * time.Second); recovered.IsZero() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		for _, a := range all {
			if a.err == nil && a.status == http.StatusCreated && a.start.After(started) && (recovered.IsZero() || a.end.Before(recovered)) {
				recovered = a.end
			}
		}
		mu.Unlock()
	}
	if recovered.IsZero() {
		t.Errorf("no redemption succeeded within 15 s of PostgreSQL's restart")
	} else if d := recovered.Sub(started); d > 5*time.Second {
		t.Errorf("redemptions succeeded again only %s after PostgreSQL's restart", d)
	}
	time.Sleep(time.Second) // under load again
	close(stopLoad)
	wg.Wait() // each client ends its current key only once answered

	// /readyz: 503 while away, 200 after, without a restart of the server.
	var ready answer
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		ready = readyz[len(readyz)-1]
		mu.Unlock()
		if ready.err == nil && ready.status == 200 {
			break
		}
	}
	close(stopPoll)
	pollWG.Wait()
	if ready.err != nil || ready.status != 200 {
		t.Errorf("/readyz after the restart: %s", ready)
	}
	inOutage := func(a answer) bool { return !a.start.Before(down) && !a.end.After(up) }
	var readyDown int
	for _, a := range readyz {
		if inOutage(a) {
			readyDown++
			if a.err != nil || a.status != http.StatusServiceUnavailable || a.latency() > answerWithin {
				t.Errorf("/readyz during the outage: %s after %s", a, a.latency())
			}
		}
	}
	if readyDown == 0 {
		t.Errorf("no /readyz poll fell within the outage")
	}

	// Every answer is 201 or an unavailable problem with Retry-After; during the
	// outage, every answer is that 503, within a second.
	var (
		n201, n503, outageAnswers int
		worst                     time.Duration
		bad                       int
	)
	for _, a := range all {
		switch {
		case a.err != nil:
			bad++
			if bad <= 10 {
				t.Errorf("redemption without an answer (the server never went away): %v after %s", a.err, a.latency())
			}
		case a.status == http.StatusCreated:
			n201++
		case a.status == http.StatusServiceUnavailable && a.contentType == "application/problem+json" &&
			a.retryAfter != "" && strings.HasSuffix(a.problemType(), "/unavailable"):
			n503++
		default:
			bad++
			if bad <= 10 {
				t.Errorf("redemption answered %s (Retry-After %q) at %s of the outage", a, a.retryAfter, a.start.Sub(down).Round(time.Millisecond))
			}
		}
		if inOutage(a) {
			outageAnswers++
			worst = max(worst, a.latency())
			if a.err == nil && a.status != http.StatusServiceUnavailable {
				t.Errorf("redemption answered %s during the outage", a)
			}
			if a.latency() > answerWithin {
				bad++
				if bad <= 10 {
					t.Errorf("redemption answered after %s during the outage (max %s): %s", a.latency(), answerWithin, a)
				}
			}
		}
	}
	if outageAnswers == 0 {
		t.Errorf("no redemption was sent during the outage")
	}
	var retried, replayed int
	var retriedJobs []*job
	done := jobs[:min(int(next.Load()), len(jobs))]
	for _, j := range done {
		if j.retried() {
			retried++
			retriedJobs = append(retriedJobs, j)
			if j.final.replayed {
				replayed++
			}
		}
	}
	t.Logf("stop took %s, outage %s, start took %s; %d redemptions (%d 201, %d 503); during the outage %d answers, slowest %s; first success %s after the restart; %d keys retried (%d replayed the first answer)",
		down.Sub(stopBegin).Round(time.Millisecond), up.Sub(down).Round(time.Millisecond), started.Sub(up).Round(time.Millisecond),
		len(done), n201, n503, outageAnswers, worst.Round(time.Millisecond), recovered.Sub(started).Round(time.Millisecond), retried, replayed)
	logReplays(t, done)
	if retried == 0 {
		t.Errorf("the outage cut no request: nothing was tested")
	}

	// Nothing acknowledged lost, no cheque twice, no key in flight; a repeat gives
	// back the first answer; the projections caught up without a restart.
	answers := checkAnswers(t, done)
	checkLedger(t, pool, w, done, answers)
	checkReplays(t, c, w.placeTok, retriedJobs)
	checkReads(t, c, w.auditor, retriedJobs, answers)
	if serial, pos := maxPosition(answers); pos > 0 {
		waitRead(t, c, w.auditor, "/v1/cheques/"+serial, pos, 30*time.Second)
	}
	checkServerLog(t, log)
	t.Logf("test took %s", time.Since(began).Round(time.Millisecond))
}
