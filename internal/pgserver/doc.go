// Package pgserver finds the PostgreSQL server the ledger should use, or starts a
// private one, so that `make run` and `make test` work on a fresh machine.
//
// The order is fixed and never silently changed:
//
//  1. DATABASE_URL, when set, is used as is. If it does not answer, that is an error:
//     an explicit configuration is never replaced by another server.
//  2. Otherwise the local server named by the standard PG* environment (PGHOST,
//     PGPORT, PGUSER, PGDATABASE), defaulting to 127.0.0.1:5432, user postgres.
//  3. If nothing answers there, a private cluster is created (initdb) and started
//     (pg_ctl) from the PostgreSQL binaries on the machine, in a data folder of the
//     project's (PASSLEDGER_PGDATA, default ./.pgdata), listening on 127.0.0.1 on a
//     free port. When invoked as root it runs as the "postgres" user (or "nobody"),
//     since PostgreSQL refuses to run as root. It is stopped by Server.Close unless it
//     was already running when we found it.
//
// This package starts processes and touches the file system; it must not be imported
// by domain, eventstore or projections code.
package pgserver
