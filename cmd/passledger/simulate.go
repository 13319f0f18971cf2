package main

import (
	"context"
	"fmt"
	"github.com/passnumerique/passledger/internal/credentials"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/simulate"
)

// SimulateCmd writes a realistic national year of activity through the
// application layer (see package simulate).
//
// Events written (measured, all 101 départements, seed 1, 2 CPUs, local
// PostgreSQL 15): 8,969 at the default scale 0.001 (13 s), 39,939 at 0.01
// (45 s), 353,026 at 0.1 (5 min 50 s): about 5,000 + 3.5 million × scale, so
// some 3.5 million for the national year at scale 1.
type SimulateCmd struct {
	Seed         uint64  `name:"seed" default:"1" help:"Seed of the simulation: the same seed, scale and départements write the same events."`
	Scale        float64 `name:"scale" default:"0.001" help:"Fraction of the national figures (1 = 2,000,000 cheques, 4,000 prescribers, 6,000 labelled places). Events written: about 5,000 + 3.5 million × scale (9,000 at 0.001, 40,000 at 0.01, 350,000 at 0.1)."`
	Departements int     `name:"departements" default:"101" help:"Number of départements taking part (the first ones in INSEE code order), 1 to 101."`
	Concurrency  int     `name:"concurrency" default:"8" help:"Parallel workers writing the redemptions."`
	Year         int     `name:"year" default:"2026" help:"Year of the programmes; the clock runs from 1 January to 28 February of the next year."`
}

// Run simulates into the database, which must hold no event yet.
func (c *SimulateCmd) Run(cli *CLI, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := simulate.Config{Seed: c.Seed, Scale: c.Scale, Departements: c.Departements, Concurrency: c.Concurrency, Year: c.Year}
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{
		DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true, MaxConns: int32(c.Concurrency + 4),
	}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	secrets, err := credentials.LoadSecrets(ctx, db.Pool)
	if err != nil {
		return err
	}
	sum, err := simulate.Run(ctx, eventstore.New(db.Pool), secrets.Domain, cfg, logger)
	sum.WriteText(os.Stdout)
	if err != nil {
		return fmt.Errorf("simulation stopped after %d events: %w", sum.Events, err)
	}
	return nil
}
