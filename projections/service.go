package projections

import (
	"context"
	"errors"
	"fmt"
	"github.com/passnumerique/passledger/projections/core"
	"log/slog"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// Config says what Start runs.
type Config struct {
	// Pool and Store reach the ledger database (required).
	Pool  *pgxpool.Pool
	Store *eventstore.Store
	// Registerer receives the metrics: passledger_projection_lag_events{projection,partition},
	// passledger_projection_checkpoint_position{projection,partition},
	// passledger_projection_events_applied_total{projection,partition},
	// passledger_projection_poisoned_total{projection} and Watermill's router
	// metrics (namespace passledger, subsystem projections). nil: not exported.
	Registerer prometheus.Registerer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Projections to run; nil means All(). Some may be partitions of a
	// projection (Partition): each has its own handler, durable consumer and
	// checkpoint; two partitions of one projection may run in one process.
	Projections []core.Projection
	// Transport carries the pages; the zero value means the in-process GoChannel.
	Transport Transport
	// PageSize is the most events per message (default 1000).
	PageSize int
	// DisableRelay runs handlers only (another process publishes the pages).
	DisableRelay bool
	// DisableHandlers runs the relay only (other processes, `passledger
	// project`, apply the pages); the service still waits for and reports on
	// Projections (WaitFor, lag), whose checkpoints are in the database.
	DisableHandlers bool
	// MaxRetries bounds the retries of a failing page before it goes to the poison
	// queue (default 5; backoff from 100 ms to 5 s). The page is not lost: the
	// next page, or the relay's resync, fills it again from the store.
	MaxRetries int
	// ResyncInterval is the relay's resync period (default 5 s).
	ResyncInterval time.Duration
	// LagInterval is how often the lag gauge is refreshed (default 1 s).
	LagInterval time.Duration

	// afterCommit, set by tests, runs after a page was committed and before it is
	// acknowledged; an error makes the handler fail (no ack).
	afterCommit func(ctx context.Context, name string, res Result) error
	// beforeCommit is passed to the Runner (tests).
	beforeCommit func(ctx context.Context, name string, last eventstore.Cursor) error
}

// Service keeps projections live: a relay publishes the log to Watermill and a
// router runs one handler per projection (Recoverer, bounded Retry with backoff,
// PoisonQueue to PoisonTopic, Prometheus metrics). Stop it with Close or by
// cancelling the context given to Start.
type Service struct {
	cfg    Config
	pool   *pgxpool.Pool
	store  *eventstore.Store
	logger *slog.Logger
	runner *Runner
	router *message.Router
	cache  *pageCache
	// units are the projections (or partitions) run, by unitKey; names the
	// projections' names (what WaitFor accepts).
	units  map[string]core.Projection
	names  map[string]bool
	cancel context.CancelFunc
	// stopAfter unregisters the close on the Start context's end.
	stopAfter func() bool
	wg        sync.WaitGroup
	closeMu   sync.Mutex
	closed    bool
	errMu     sync.Mutex
	err       error

	// committed is closed (and replaced) each time a handler commits a page, to
	// wake WaitFor without polling.
	commitMu  sync.Mutex
	committed chan struct{}

	lag      *prometheus.GaugeVec
	position *prometheus.GaugeVec
	applied  *prometheus.CounterVec
	poisoned *prometheus.CounterVec
	redeemed *prometheus.CounterVec
}

// Start starts the projections' handlers and the relay and returns once the router
// runs. Each projection resumes from its own checkpoint.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Pool == nil || cfg.Store == nil {
		return nil, errors.New("projections: Start needs a pool and a store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Projections == nil {
		cfg.Projections = All()
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.LagInterval <= 0 {
		cfg.LagInterval = time.Second
	}
	wmLogger := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // Watermill is chatty at info level
	})
	if cfg.Transport.Publisher == nil {
		cfg.Transport = NewGoChannelTransport(wmLogger)
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Service{
		cfg: cfg, pool: cfg.Pool, store: cfg.Store, logger: cfg.Logger,
		runner: NewRunner(cfg.Pool, cfg.Store), cache: newPageCache(32),
		units: map[string]core.Projection{}, names: map[string]bool{}, committed: make(chan struct{}),
	}
	s.runner.beforeCommit = cfg.beforeCommit
	if err := s.registerMetrics(reg); err != nil {
		return nil, err
	}
	parts := map[string]Part{}
	for _, p := range cfg.Projections {
		key, part := unitKey(p), PartOf(p)
		if _, dup := s.units[key]; dup {
			return nil, fmt.Errorf("projections: %s listed twice", key)
		}
		if other, seen := parts[p.Name()]; seen && (other.Count != part.Count || part == Whole) {
			return nil, fmt.Errorf("projections: %s listed as partitions %s and %s of different splits", p.Name(), other, part)
		}
		parts[p.Name()] = part
		s.units[key] = p
		s.names[p.Name()] = true
	}

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wmLogger)
	if err != nil {
		return nil, err
	}
	poisonPub := cfg.Transport.Poison
	if poisonPub == nil {
		poisonPub = cfg.Transport.Publisher
	}
	poison, err := middleware.PoisonQueue(poisonPub, PoisonTopic)
	if err != nil {
		return nil, err
	}
	router.AddMiddleware(
		poison,
		middleware.Retry{
			MaxRetries:      cfg.MaxRetries,
			InitialInterval: 100 * time.Millisecond,
			MaxInterval:     5 * time.Second,
			Multiplier:      2,
			Logger:          wmLogger,
		}.Middleware,
		middleware.Recoverer,
	)
	metrics.NewPrometheusMetricsBuilder(reg, "passledger", "projections").AddPrometheusRouterMetrics(router)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if !cfg.DisableHandlers {
		for _, p := range cfg.Projections {
			sub, err := cfg.Transport.Subscriber(unitKey(p))
			if err != nil {
				cancel()
				return nil, err
			}
			router.AddNoPublisherHandler("projection-"+unitKey(p), Topic, sub, s.handler(p))
		}
		if sub, err := cfg.Transport.Subscriber("poison"); err == nil {
			router.AddNoPublisherHandler("projection-poison-log", PoisonTopic, sub, s.poisonLog)
		}
	}
	s.router = router

	if ctx.Done() != nil {
		s.stopAfter = context.AfterFunc(ctx, func() { _ = s.Close() })
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := router.Run(runCtx); err != nil {
			s.setErr(fmt.Errorf("projections: router: %w", err))
		}
	}()
	select {
	case <-router.Running():
	case <-time.After(30 * time.Second):
		_ = s.Close()
		return nil, errors.New("projections: router did not start")
	}
	if !cfg.DisableRelay {
		relay := &Relay{
			Store: cfg.Store, Publisher: cfg.Transport.Publisher, PageSize: cfg.PageSize,
			ResyncInterval: cfg.ResyncInterval, Logger: cfg.Logger, From: s.lowestCheckpoint,
			IDByPosition: cfg.Transport.IDByPosition, Resume: cfg.Transport.Resume,
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := relay.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				s.setErr(fmt.Errorf("projections: relay: %w", err))
			}
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watchLag(runCtx)
	}()
	if !cfg.DisableHandlers && cfg.Transport.Resume != nil {
		// No relay resyncs for these handlers: they fill from the store what
		// they gave up on (poison queue) when nothing else arrives.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.catchUp(runCtx)
		}()
	}
	return s, nil
}

// handler returns the handler of projection p. It runs under the pprof label
// passledger_unit=unitKey(p), so a CPU profile tells the share of each projection
// partition (`go tool pprof -tags`).
func (s *Service) handler(p core.Projection) message.NoPublishHandlerFunc {
	labels := pprof.Labels("passledger_unit", unitKey(p))
	h := s.apply(p)
	return func(msg *message.Message) (err error) {
		pprof.Do(msg.Context(), labels, func(context.Context) { err = h(msg) })
		return err
	}
}

func (s *Service) apply(p core.Projection) message.NoPublishHandlerFunc {
	name, part := p.Name(), PartOf(p)
	partLabel := part.String()
	return func(msg *message.Message) error {
		b, err := s.cache.batch(msg)
		if err != nil {
			return err
		}
		ctx := msg.Context()
		res, err := s.runner.ApplyBatch(ctx, p, b)
		if err != nil {
			return err
		}
		s.applied.WithLabelValues(name, partLabel).Add(float64(res.Applied + res.Filled))
		if name == "cheques" && res.Applied > 0 {
			// res.applied holds only the events this projection (or partition)
			// applied: each redemption is counted once, by the partition its
			// programme's département routes it to.
			for _, ev := range res.applied {
				if e, ok := ev.Data.(domain.ChequeRedeemed); ok {
					s.redeemed.WithLabelValues(e.PlaceTerritory).Inc()
				}
			}
		}
		s.position.WithLabelValues(name, partLabel).Set(float64(res.Checkpoint.Position))
		if res.Applied+res.Filled > 0 {
			s.commitMu.Lock()
			close(s.committed)
			s.committed = make(chan struct{})
			s.commitMu.Unlock()
		}
		if s.cfg.afterCommit != nil {
			return s.cfg.afterCommit(ctx, name, res)
		}
		return nil
	}
}

// catchUp applies, every ResyncInterval, what the store holds beyond a
// projection's checkpoint when that checkpoint did not move since the previous
// look: the events of pages the handler gave up on, which a broker will not
// deliver again.
func (s *Service) catchUp(ctx context.Context) {
	every := s.cfg.ResyncInterval
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	seen := map[string]eventstore.Cursor{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		head, err := s.store.Head(ctx)
		if err != nil {
			continue
		}
		cps, err := PartitionCheckpoints(ctx, s.pool)
		if err != nil {
			continue
		}
		at := map[string]eventstore.Cursor{}
		for _, pc := range cps {
			at[pc.Name+"@"+pc.Part.String()] = pc.Cursor
		}
		for _, p := range s.cfg.Projections {
			key := unitKey(p)
			cp := at[p.Name()+"@"+PartOf(p).String()]
			if last, ok := seen[key]; ok && last == cp && cp.Less(head) {
				if _, err := s.runner.ApplyBatch(ctx, p, Batch{After: head}); err != nil && ctx.Err() == nil {
					s.logger.Error("projections: catching up from the store", "projection", key, "err", err)
				}
			}
			seen[key] = cp
		}
	}
}

func (s *Service) poisonLog(msg *message.Message) error {
	handler := msg.Metadata.Get(middleware.PoisonedHandlerKey)
	s.poisoned.WithLabelValues(handler).Inc()
	s.logger.Error("projections: page sent to the poison queue; the projection will retry it from the store",
		"handler", handler, "after", msg.Metadata.Get(metaAfter), "last", msg.Metadata.Get(metaLast),
		"reason", msg.Metadata.Get(middleware.ReasonForPoisonedKey))
	return nil
}

// lowestCheckpoint is where the relay starts: the least advanced projection.
func (s *Service) lowestCheckpoint(ctx context.Context) (eventstore.Cursor, error) {
	cps, err := Checkpoints(ctx, s.pool)
	if err != nil {
		return eventstore.Cursor{}, err
	}
	var low eventstore.Cursor
	first := true
	for name := range s.names {
		cp := cps[name] // missing: the zero cursor
		if first || cp.Less(low) {
			low, first = cp, false
		}
	}
	return low, nil
}

func (s *Service) registerMetrics(reg prometheus.Registerer) error {
	m, err := RegisterMetrics(reg)
	if err != nil {
		return err
	}
	s.lag, s.position, s.applied, s.poisoned, s.redeemed = m.lag, m.position, m.applied, m.poisoned, m.redeemed
	return nil
}

// Metrics are the collectors a Service exports.
type Metrics struct {
	lag, position               *prometheus.GaugeVec
	applied, poisoned, redeemed *prometheus.CounterVec
}

// RegisterMetrics registers the metrics a Service exports with reg:
// passledger_projection_lag_events{projection,partition},
// passledger_projection_checkpoint_position{projection,partition},
// passledger_projection_events_applied_total{projection,partition} (partition
// "i/n", "0/1" for a whole projection),
// passledger_projection_poisoned_total{handler} and
// passledger_redemptions_applied_total{territory}. Start calls it; the dashboard
// test uses it to know the names.
func RegisterMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{}
	m.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "passledger_projection_lag_events",
		Help: "Head position of the event store minus the checkpoint position of the projection's partition (0 when caught up).",
	}, []string{"projection", "partition"})
	m.position = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "passledger_projection_checkpoint_position",
		Help: "Position of the last event the projection's partition applied.",
	}, []string{"projection", "partition"})
	m.applied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passledger_projection_events_applied_total",
		Help: "Events the live handler of the projection's partition went through (gap fills included; a partition moves over the events of the others).",
	}, []string{"projection", "partition"})
	m.poisoned = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passledger_projection_poisoned_total",
		Help: "Pages a projection handler gave up on after its retries (retried later from the store).",
	}, []string{"handler"})
	m.redeemed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "passledger_redemptions_applied_total",
		Help: "Redemptions (ChequeRedeemed) the cheques projection's live handler applied, by the redeeming place's département.",
	}, []string{"territory"})
	for _, c := range []prometheus.Collector{m.lag, m.position, m.applied, m.poisoned, m.redeemed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("projections: metrics: %w", err)
		}
	}
	return m, nil
}

// watchLag refreshes the lag gauges every LagInterval.
func (s *Service) watchLag(ctx context.Context) {
	t := time.NewTicker(s.cfg.LagInterval)
	defer t.Stop()
	for {
		s.updateLag(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) updateLag(ctx context.Context) {
	head, err := s.store.Head(ctx)
	if err != nil {
		return
	}
	cps, err := PartitionCheckpoints(ctx, s.pool)
	if err != nil {
		return
	}
	// A worker reports the partitions it runs; a relay-only service (the server
	// with --projections workers) every partition of the projections it serves.
	mine := map[string]bool{}
	for _, p := range s.cfg.Projections {
		mine[p.Name()+"@"+PartOf(p).String()] = true
	}
	for _, pc := range cps {
		if !s.names[pc.Name] || (!s.cfg.DisableHandlers && !mine[pc.Name+"@"+pc.Part.String()]) {
			continue
		}
		s.lag.WithLabelValues(pc.Name, pc.Part.String()).Set(float64(max(head.Position-pc.Cursor.Position, 0)))
		s.position.WithLabelValues(pc.Name, pc.Part.String()).Set(float64(pc.Cursor.Position))
	}
}

// WaitFor waits until projection name has applied the event at position (see the
// package function WaitFor), bounded by ctx. It re-reads the checkpoint each time a
// handler of this service commits a page (and at least every 50 ms, for pages
// applied by other processes), so a read that follows a write waits for about the
// time the write takes to reach the projection. A projection split into
// partitions, here or in workers, has reached position when every one of its
// partitions has (core.CheckpointOf). An unknown projection name is an error.
func (s *Service) WaitFor(ctx context.Context, name string, position int64) error {
	if !s.names[name] {
		return fmt.Errorf("projections: unknown projection %q", name)
	}
	return waitFor(ctx, s.pool, s.store, name, position, func(int) (<-chan struct{}, time.Duration) {
		s.commitMu.Lock()
		defer s.commitMu.Unlock()
		return s.committed, 50 * time.Millisecond
	})
}

// WaitForAll waits until every projection of the service applied position.
func (s *Service) WaitForAll(ctx context.Context, position int64) error {
	for name := range s.names {
		if err := s.WaitFor(ctx, name, position); err != nil {
			return err
		}
	}
	return nil
}

// Projections returns the projections the service runs.
func (s *Service) Projections() []core.Projection { return s.cfg.Projections }

// Err returns the first error that stopped the router or the relay, if any.
func (s *Service) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *Service) setErr(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.err == nil {
		s.err = err
	}
	s.logger.Error("projections stopped", "err", err)
}

// Close stops the relay and the handlers (a page being applied is rolled back or
// committed, never half-written), closes the transport and waits for everything to
// end. It is safe to call more than once.
func (s *Service) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	if s.stopAfter != nil {
		s.stopAfter()
	}
	s.cancel()
	var errs []error
	if s.router != nil {
		errs = append(errs, s.router.Close())
	}
	if s.cfg.Transport.Close != nil {
		errs = append(errs, s.cfg.Transport.Close())
	}
	s.wg.Wait()
	return errors.Join(errs...)
}
