package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/credentials"
	"github.com/passnumerique/passledger/internal/sepa"
	"github.com/passnumerique/passledger/projections/equity"
)

// Waiter waits until a projection has applied the event at a global position
// (read-your-writes for ?min_position=).
type Waiter interface {
	WaitFor(ctx context.Context, projection string, position int64) error
}

// Server is the HTTP port of the ledger.
type Server struct {
	pool            *pgxpool.Pool
	store           *eventstore.Store
	tokens          tokenCache
	app             *app.App
	secrets         credentials.Secrets
	waiter          Waiter
	gatherer        prometheus.Gatherer
	logger          *slog.Logger
	mux             *http.ServeMux
	handler         http.Handler   // mux behind refuseBadBytes
	asMux           *http.ServeMux // the routes for ServeAs
	routes          []Route
	minPositionWait time.Duration
	openapi         []byte
	debtor          sepa.Debtor
	equityPage      func(io.Writer, equity.Figures) error
}

// Config holds what the HTTP port needs.
type Config struct {
	Pool     *pgxpool.Pool
	Store    *eventstore.Store
	App      *app.App
	Secrets  credentials.Secrets
	Waiter   Waiter
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	// MinPositionWait bounds how long a GET waits for ?min_position= (default 5 s).
	MinPositionWait time.Duration
	// Debtor is the account reimbursement batches are paid from (the programme
	// operator's): the debtor of the SEPA credit transfer files. Without it,
	// GET /v1/reimbursement-batches/{id}/sepa answers 409 sepa-debtor-not-configured.
	Debtor sepa.Debtor
	// EquityPage, if set, renders the equity report for people: GET
	// /v1/reports/equity with Accept: text/html answers with it (passledger serve
	// gives the web package's page, the one GET /reports/equity serves). Without
	// it, the route does not offer text/html and such a request gets JSON.
	EquityPage func(w io.Writer, rep equity.Figures) error
}

// NewServer builds the HTTP port and its routes.
func NewServer(cfg Config) (*Server, error) {
	s := &Server{pool: cfg.Pool, store: cfg.Store, app: cfg.App, secrets: cfg.Secrets, waiter: cfg.Waiter, gatherer: cfg.Gatherer,
		logger: cfg.Logger, mux: http.NewServeMux(), asMux: http.NewServeMux(), minPositionWait: cfg.MinPositionWait, debtor: cfg.Debtor,
		equityPage: cfg.EquityPage}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.minPositionWait == 0 {
		s.minPositionWait = 5 * time.Second
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if s.gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	}
	s.handler = s.refuseBadBytes(s.mux)
	s.routes = s.buildRoutes()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.serve(rt))
		s.asMux.Handle(rt.Method+" "+rt.Path, s.serveAs(rt))
	}
	doc, err := OpenAPI(s.routes)
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.openapi)
	})
	notFound := func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, problemf(http.StatusNotFound, "not-found", "Not found", "no endpoint %s %s", r.Method, r.URL.Path))
	}
	s.mux.HandleFunc("/", notFound)
	s.asMux.HandleFunc("/", notFound)
	return s, nil
}

// Handler returns the root handler: the mux behind the bad-bytes check (text.go).
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the route table (tests, documentation).
func (s *Server) Routes() []Route { return s.routes }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the database answers, within a second.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
