package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
)

// ReplayCmd rebuilds projections from position zero.
type ReplayCmd struct {
	Projection []string `name:"projection" short:"p" placeholder:"NAME" help:"Rebuild only this projection (repeatable; default: all). Known: balances, cheques, equity, audit, places, prescribers, treasury."`
	Progress   string   `name:"progress" enum:"auto,bar,log" default:"auto" help:"Progress display: a bar on a terminal and log lines otherwise (auto), or force one (bar, log)."`
}

// Run truncates the projections' tables, resets their checkpoints and replays the
// whole event log into them, showing progress (events/s, ETA). Interrupting it
// (SIGINT, SIGTERM) leaves every projection consistent at its own checkpoint;
// `serve` or another replay continues from there.
func (c *ReplayCmd) Run(cli *CLI, logger *slog.Logger) error {
	ps, err := c.projections()
	if err != nil {
		return err
	}
	// A replay decodes millions of short-lived events: collect garbage less often
	// (unless GOGC says otherwise); it cuts the replay's Go CPU by about a fifth.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := eventstore.New(db.Pool)

	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name()
	}
	logger.Info("replay starting", "projections", strings.Join(names, ","))
	useBar := c.Progress == "bar" || (c.Progress == "auto" && isTerminal(os.Stderr))
	var progress func(done, total int64)
	var bar *progressbar.ProgressBar
	start := time.Now()
	if useBar {
		progress = func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(max(total, 1),
					progressbar.OptionSetWriter(os.Stderr),
					progressbar.OptionSetDescription("replay "+strings.Join(names, ",")),
					progressbar.OptionShowCount(),
					progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("events"),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionShowElapsedTimeOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionFullWidth(),
					progressbar.OptionClearOnFinish(),
				)
			}
			if done > bar.GetMax64() {
				bar.ChangeMax64(done)
			}
			_ = bar.Set64(done)
		}
	} else {
		var last time.Time
		progress = func(done, total int64) {
			now := time.Now()
			if now.Sub(last) < 2*time.Second && done < total {
				return
			}
			last = now
			el := now.Sub(start).Seconds()
			rate := float64(done) / max(el, 1e-9)
			eta := time.Duration(0)
			if rate > 0 && total > done {
				eta = time.Duration(float64(total-done) / rate * float64(time.Second))
			}
			logger.Info("replay progress", "done", done, "total", total, "events_per_second", int64(rate), "eta", eta.Round(time.Second).String())
		}
	}
	err = projections.Rebuild(ctx, db.Pool, store, ps, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	el := time.Since(start)
	cps, err := projections.Checkpoints(ctx, db.Pool)
	if err != nil {
		return err
	}
	events, _, err := store.Count(ctx)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	logger.Info("replay done", "projections", strings.Join(names, ","), "events", events,
		"duration", el.Round(time.Millisecond).String(), "events_per_second", int64(float64(events)/max(el.Seconds(), 1e-9)),
		"checkpoint", cps[names[0]].String())
	return nil
}

func (c *ReplayCmd) projections() ([]core.Projection, error) {
	if len(c.Projection) == 0 {
		return projections.All(), nil
	}
	var ps []core.Projection
	seen := map[string]bool{}
	for _, n := range c.Projection {
		for _, name := range strings.Split(n, ",") {
			name = strings.TrimSpace(name)
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			p, err := projections.ByName(name)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
	}
	return ps, nil
}

// isTerminal reports whether f is a character device (a terminal), without a
// dependency on a terminal library.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
