package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/web"
)

// ReportCmd groups reports.
type ReportCmd struct {
	Equity      ReportEquityCmd      `cmd:"" help:"The territorial equity report (CSV for a French spreadsheet, JSON or HTML)."`
	Attribution ReportAttributionCmd `cmd:"" help:"Largest deviation of any funder's attributed part from its exact pro-rata share, over the whole log."`
}

// ReportEquityCmd prints the equity report from the equity projection.
type ReportEquityCmd struct {
	Format  string `name:"format" enum:"csv,json,html" default:"csv" help:"Output format."`
	FundID  string `name:"fund-id" help:"Restrict allocations to one fund."`
	AsOf    string `name:"as-of" help:"Last effective date counted, YYYY-MM-DD (default: everything recorded)."`
	Output  string `name:"output" short:"o" help:"File to write (default: standard output)."`
	BaseURL string `name:"base-url" help:"HTML: the server's address (e.g. https://ledger.example.fr), to add the CSV, XLSX and JSON download links."`
}

// Run writes the report.
func (c *ReportEquityCmd) Run(cli *CLI, logger *slog.Logger) error {
	ctx := context.Background()
	var asOf *domain.Date
	if c.AsOf != "" {
		d, err := domain.ParseDate(c.AsOf)
		if err != nil {
			return fmt.Errorf("--as-of: %w", err)
		}
		asOf = &d
	}
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := equity.Report(ctx, db.Pool, c.FundID, asOf)
	if err != nil {
		return err
	}
	out := os.Stdout
	if c.Output != "" {
		f, err := os.Create(c.Output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	switch c.Format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "html":
		// The same page as GET /reports/equity (map, ranked chart, Gini, flags).
		return web.WriteEquityPage(out, rep, web.EquityPageOptions{Links: c.BaseURL != "", BaseURL: strings.TrimRight(c.BaseURL, "/")})
	default:
		return equity.WriteCSV(out, rep)
	}
}
