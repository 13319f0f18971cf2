package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/projections"
)

// BusFlags choose the transport that carries events from the relay to the
// projection handlers.
type BusFlags struct {
	Bus        string `name:"bus" enum:"gochannel,nats" default:"gochannel" env:"PASSLEDGER_BUS" help:"Event transport to the projections: gochannel (in-process, nothing else to run) or nats (NATS JetStream; projections may run in 'passledger project' workers)."`
	NATSURL    string `name:"nats-url" env:"NATS_URL" default:"nats://127.0.0.1:4222" help:"NATS server URL (with --bus nats)."`
	NATSStream string `name:"nats-stream" env:"PASSLEDGER_NATS_STREAM" default:"PASSLEDGER" help:"JetStream stream of the events (with --bus nats); its subject is STREAM.passledger.events."`
}

func (b BusFlags) transport(logger *slog.Logger) (projections.Transport, error) {
	wm := watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	return projections.NewTransport(b.Bus, projections.NATSConfig{URL: b.NATSURL, Stream: b.NATSStream}, wm)
}

// ProjectCmd runs projection handlers as a process of their own.
type ProjectCmd struct {
	Bus         BusFlags `embed:"" prefix:""`
	Projection  []string `name:"projection" short:"p" placeholder:"NAME" help:"Projection to run (repeatable or comma-separated; default: all). Known: balances, cheques, equity, audit, places, prescribers, treasury."`
	Partition   string   `name:"partition" placeholder:"I/N" help:"Run partition I of N (0 ≤ I < N) of each projection named: it applies the events of the départements that hash to I and keeps its own checkpoint; N workers with 0/N … N-1/N share the projection. Only cheques, equity, places and prescribers can be split (they must be named with --projection)."`
	MetricsAddr string   `name:"metrics-addr" env:"PASSLEDGER_METRICS_ADDR" default:":9101" help:"Address of this worker's /metrics (empty: none)."`
}

// Run consumes the events from NATS JetStream through each projection's durable
// consumer and applies them (checkpoint in the same transaction as the rows)
// until SIGINT or SIGTERM. Another process ('serve --bus nats') runs the relay.
func (c *ProjectCmd) Run(cli *CLI, logger *slog.Logger) error {
	if c.Bus.Bus != "nats" {
		return errors.New("project: a worker needs a broker: --bus nats (with gochannel, 'serve' runs the projections itself)")
	}
	ps, err := (&ReplayCmd{Projection: c.Projection}).projections()
	if err != nil {
		return err
	}
	part := projections.Whole
	if c.Partition != "" {
		if len(c.Projection) == 0 {
			return fmt.Errorf("project: --partition needs --projection naming the projections to split (splittable: %s)",
				strings.Join(projections.SplittableNames(), ", "))
		}
		if part, err = projections.ParsePart(c.Partition); err != nil {
			return fmt.Errorf("project: --partition: %w", err)
		}
		for _, p := range ps {
			if !projections.Splittable(p.Name()) {
				return fmt.Errorf("project: %s cannot be partitioned: it keeps national figures and runs whole (drop --partition, or run it in a worker of its own); splittable: %s",
					p.Name(), strings.Join(projections.SplittableNames(), ", "))
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	tr, err := c.Bus.transport(logger)
	if err != nil {
		return err
	}
	store := eventstore.New(db.Pool)
	resolver := projections.NewResolver(store)
	for i, p := range ps {
		if ps[i], err = projections.Partition(p, part, resolver); err != nil {
			_ = tr.Close()
			return fmt.Errorf("project: %w", err)
		}
	}
	svc, err := projections.Start(ctx, projections.Config{Pool: db.Pool, Store: store, Registerer: reg, Logger: logger,
		Projections: ps, Transport: tr, DisableRelay: true})
	if err != nil {
		_ = tr.Close()
		return err
	}
	defer svc.Close()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name()
	}
	if c.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Addr: c.MetricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("project: metrics server", "err", err)
			}
		}()
		defer srv.Close()
	}
	logger.Info("projection worker running", "projections", strings.Join(names, ","), "partition", part.String(), "nats", c.Bus.NATSURL, "stream", c.Bus.NATSStream)
	<-ctx.Done()
	if err := svc.Err(); err != nil {
		return fmt.Errorf("project: %w", err)
	}
	logger.Info("projection worker stopped")
	return nil
}
