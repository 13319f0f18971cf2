// Command pgenv runs a command with DATABASE_URL pointing at a PostgreSQL server:
// DATABASE_URL if set, else the local server, else a private cluster that it starts
// from the machine's PostgreSQL binaries and stops when the command ends. `make test`
// runs `go test` under it so that every test package shares one server.
//
//	go run ./cmd/pgenv -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/passnumerique/passledger/internal/pgserver"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pgenv -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := pgserver.Resolve(context.Background(), pgserver.Options{Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		os.Exit(2)
	}
	code := run(srv.URL, args)
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
	}
	os.Exit(code)
}

func run(url string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		return 127
	}
	go func() {
		for s := range sig {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		return 1
	}
	return 0
}
