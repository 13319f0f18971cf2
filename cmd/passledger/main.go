// Command passledger is the Pass numérique ledger: one binary with subcommands.
//
//	passledger serve     serve the HTTP API (migrates first)
//	passledger migrate   apply database migrations
//	passledger verify    recompute the event hash chain
//	passledger token create --role R [--org ID]
//	passledger receipt verify FILE --keys KEYS.json
//	passledger project --bus nats [--projection NAME]
//
// Configuration comes from flags, each with an environment default (see --help).
package main

import (
	"log/slog"
	"os"

	"github.com/alecthomas/kong"
)

// CLI is the command line: global flags and one struct per subcommand.
type CLI struct {
	LogFormat string  `name:"log-format" enum:"text,json" default:"text" env:"PASSLEDGER_LOG_FORMAT" help:"Log format (text or json)."`
	DB        DBFlags `embed:"" prefix:""`

	Serve   ServeCmd   `cmd:"" help:"Serve the HTTP API (applies migrations first)."`
	Migrate MigrateCmd `cmd:"" help:"Apply the database migrations."`
	Verify  VerifyCmd  `cmd:"" help:"Recompute the event hash chain; exit 1 at the first position that does not match."`
	Replay  ReplayCmd  `cmd:"" help:"Truncate projections and rebuild them from position zero, with a progress bar (events/s, ETA)."`
	Project ProjectCmd `cmd:"" help:"Run projection handlers as a worker process, consuming the events from NATS JetStream (with 'serve --bus nats')."`
	Token   TokenCmd   `cmd:"" help:"Manage API access tokens."`
	Receipt ReceiptCmd `cmd:"" help:"Work with signed redemption receipts."`
	Report  ReportCmd  `cmd:"" help:"Reports."`

	Simulate SimulateCmd `cmd:"" help:"Write a realistic national year of activity (demos, benchmarks)."`
}

// DBFlags say how to reach PostgreSQL.
type DBFlags struct {
	DatabaseURL string `name:"database-url" env:"DATABASE_URL" help:"PostgreSQL URL. Unset: the local server (PG* variables, 127.0.0.1:5432), else a private cluster in PASSLEDGER_PGDATA (default ./.pgdata)."`
	DBRole      string `name:"db-role" env:"PASSLEDGER_DB_ROLE" default:"passledger_app" help:"Role every session takes (SET ROLE); empty keeps the login role."`
}

func main() {
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("passledger"),
		kong.Description("The Pass numérique ledger: an immutable, auditable record of digital-inclusion cheques and the funds behind them."),
		kong.UsageOnError(),
	)
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cli.LogFormat == "json" {
		handler = slog.NewJSONHandler(os.Stderr, nil)
	}
	logger := slog.New(handler)
	slog.SetDefault(logger)
	err := kctx.Run(&cli, logger)
	if code, ok := err.(exitCode); ok {
		os.Exit(int(code))
	}
	kctx.FatalIfErrorf(err)
}

// exitCode lets a command end the process with a given status and no message.
type exitCode int

func (e exitCode) Error() string { return "exit" }
