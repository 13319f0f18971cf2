package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/credentials"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/sepa"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/web"
)

// ServeCmd serves the API and the web pages.
type ServeCmd struct {
	Addr          string        `name:"addr" env:"PASSLEDGER_ADDR" default:":8080" help:"Address to listen on (HOST:PORT)."`
	ChainInterval time.Duration `name:"chain-interval" env:"PASSLEDGER_CHAIN_INTERVAL" default:"2s" help:"How often the hash-chain checkpointer runs."`
	GroupWorkers  int           `name:"group-workers" env:"PASSLEDGER_GROUP_WORKERS" default:"4" help:"Group commit: transactions in flight at once."`
	GroupMax      int           `name:"group-max" env:"PASSLEDGER_GROUP_MAX" default:"32" help:"Group commit: most commands in one transaction."`
	GroupWait     time.Duration `name:"group-wait" env:"PASSLEDGER_GROUP_WAIT" default:"0s" help:"Group commit: how long a group waits for more commands before it starts (0: take what is queued)."`
	DebtorName    string        `name:"debtor-name" env:"PASSLEDGER_DEBTOR_NAME" help:"Name of the account reimbursement batches are paid from (debtor of the SEPA files)."`
	DebtorIBAN    string        `name:"debtor-iban" env:"PASSLEDGER_DEBTOR_IBAN" help:"IBAN of that account."`
	DebtorBIC     string        `name:"debtor-bic" env:"PASSLEDGER_DEBTOR_BIC" help:"BIC of that account's bank (optional)."`
	Bus           BusFlags      `embed:"" prefix:""`
	Projections   string        `name:"projections" enum:"local,workers" default:"local" env:"PASSLEDGER_PROJECTIONS" help:"Where the projections are applied: local (in this process) or workers ('passledger project' processes; needs --bus nats). The API waits for their checkpoints either way."`
}

// Run serves until SIGINT or SIGTERM.
func (c *ServeCmd) Run(cli *CLI, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true}, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store := eventstore.New(db.Pool, eventstore.WithMetrics(eventstore.NewMetrics(reg)),
		eventstore.WithGroupCommit(eventstore.GroupOptions{Workers: c.GroupWorkers, MaxSize: c.GroupMax, MaxWait: c.GroupWait}))
	go store.RunChainer(ctx, c.ChainInterval, 10000, logger)

	secrets, err := credentials.LoadSecrets(ctx, db.Pool)
	if err != nil {
		return err
	}
	ledger, err := app.New(store, secrets.Domain)
	if err != nil {
		return err
	}
	if err := printFirstAdminToken(ctx, db, logger); err != nil {
		return err
	}
	if c.Projections == "workers" && c.Bus.Bus != "nats" {
		return errors.New("serve: --projections workers needs --bus nats")
	}
	tr, err := c.Bus.transport(logger)
	if err != nil {
		return err
	}
	live, err := projections.Start(ctx, projections.Config{Pool: db.Pool, Store: store, Registerer: reg, Logger: logger,
		Projections: projections.All(), Transport: tr, DisableHandlers: c.Projections == "workers"})
	if err != nil {
		_ = tr.Close()
		return err
	}
	defer live.Close()
	if c.DebtorIBAN != "" && !domain.ValidIBAN(domain.NormalizeIBAN(c.DebtorIBAN)) {
		return fmt.Errorf("--debtor-iban %q is not a valid IBAN", c.DebtorIBAN)
	}
	srv, err := api.NewServer(api.Config{Pool: db.Pool, Store: store, App: ledger, Secrets: secrets, Waiter: live, Gatherer: reg, Logger: logger,
		Debtor:     sepa.Debtor{Name: c.DebtorName, IBAN: c.DebtorIBAN, BIC: c.DebtorBIC},
		EquityPage: web.APIEquityPage})
	if err != nil {
		return err
	}
	// The web pages (login, daily jobs, the equity report page) in front of the API.
	pages, err := web.New(web.Config{API: srv, Querier: db.Pool, Waiter: live, SessionKey: secrets.Session, Now: ledger.Now, Logger: logger})
	if err != nil {
		return err
	}
	hm, err := newHTTPMetrics(reg)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Addr: c.Addr, Handler: hm.wrap(pages.Handler()), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.ListenAndServe() }()
	logger.Info("passledger serving", "addr", c.Addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("passledger stopped")
	return nil
}

// MigrateCmd applies migrations.
type MigrateCmd struct{}

// Run applies the migrations and exits.
func (c *MigrateCmd) Run(cli *CLI, logger *slog.Logger) error {
	db, err := ledgerdb.Open(context.Background(), ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Migrate: true}, logger)
	if err != nil {
		return err
	}
	return db.Close()
}

// VerifyCmd recomputes the hash chain.
type VerifyCmd struct {
	JSON bool `name:"json" help:"Print the report as JSON."`
}

// Run verifies; exit status 1 when a position does not match.
func (c *VerifyCmd) Run(cli *CLI, logger *slog.Logger) error {
	ctx := context.Background()
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := eventstore.New(db.Pool)
	// Chain whatever is not yet covered, so the report covers the whole log.
	for {
		n, err := store.AppendCheckpoint(ctx, 10000)
		if err != nil {
			return err
		}
		if n < 10000 {
			break
		}
	}
	start := time.Now()
	rep, err := store.Verify(ctx, nil)
	if err != nil {
		return err
	}
	if c.JSON {
		_ = json.NewEncoder(os.Stdout).Encode(rep)
	} else if rep.OK {
		fmt.Printf("verified %d events and %d checkpoints in %s: the history is intact\n", rep.Events, rep.Checkpoints, time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Printf("MISMATCH at position %d: %s\n", rep.FirstBadPosition, rep.Reason)
	}
	if !rep.OK {
		return exitCode(1)
	}
	return nil
}

// printFirstAdminToken creates and prints an admin token on the very first start,
// when none exists: it is shown once, on standard output.
func printFirstAdminToken(ctx context.Context, db *ledgerdb.DB, logger *slog.Logger) error {
	has, err := api.HasAdminToken(ctx, db.Pool)
	if err != nil || has {
		return err
	}
	_, token, err := api.CreateToken(ctx, db.Pool, api.RoleAdmin, "", "first start")
	if err != nil {
		return err
	}
	fmt.Printf("\nFirst start: an admin token was created. It is shown only this once:\n\n    %s\n\n", token)
	logger.Info("admin token created on first start")
	return nil
}
