package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passnumerique/passledger/internal/ledgerdb"
)

// Spares are the databases released under cmd/pgenv (PASSLEDGER_TEST_TEMPLATE
// set), emptied and ready for the next test of any package of the run. They are
// kept nowhere but on the server: a spare is a database named after the run's
// template with "_spare_" and a random suffix, listed from pg_database, and
// claimed by renaming it to a name of the claimer's own — of two packages
// claiming one spare, one rename fails and that package tries the next spare.
// cmd/pgenv drops every database named after the template when the run ends, so
// that nothing is left even when a test process dies. Without cmd/pgenv (a plain
// go test) nothing could drop the spares of a process that panicked, so a
// released database is dropped, not kept.

// spareMark returns what the names of the run's spares start with, or "" when
// there is no run (no template from cmd/pgenv). A variable for the package's own
// tests, which use marks of their own.
var spareMark = func() string {
	if template := os.Getenv(ledgerdb.TemplateEnv); template != "" {
		return template + ledgerdb.SpareInfix
	}
	return ""
}

// acquire returns a spare database, with a new pool, or else a new database.
func acquire(ctx context.Context, adminURL string) (*DB, error) {
	db, err := takeSpare(ctx, adminURL)
	if err != nil || db != nil {
		return db, err
	}
	return create(ctx, adminURL, "")
}

// takeSpare claims a spare and opens it, or returns nil when there is none.
func takeSpare(ctx context.Context, adminURL string) (*DB, error) {
	mark := spareMark()
	if mark == "" {
		return nil, nil
	}
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", adminURL, err)
	}
	defer admin.Close(ctx)
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`, mark)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, spare := range names {
		mine := newName()
		// Fails when another package claimed it first (gone, or being
		// renamed). No connection to end first, and none may be ended: a
		// spare has none (release ended them), and a termination by the
		// spare's name would read pg_stat_activity with this statement's
		// snapshot, in which a database that another package has just
		// claimed still has that name — and end that package's new
		// connections (seen: "terminating connection due to administrator
		// command").
		if _, err := admin.Exec(ctx, renameSQL(spare, mine)); err != nil {
			continue
		}
		db, err := open(ctx, adminURL, mine)
		if err == nil {
			// The fingerprint its release compares with.
			if db.schema, err = baseline(ctx, adminURL, db.Pool); err != nil {
				db.Pool.Close()
			}
		}
		if err != nil {
			_, derr := admin.Exec(ctx, dropSQL(mine))
			return nil, errors.Join(fmt.Errorf("open spare %s: %w", mine, err), derr)
		}
		return db, nil
	}
	return nil, nil
}

// errNotReusable marks why a released database is dropped rather than kept
// when that is expected: the test changed its schema, or something of the
// test's still held or reopened a connection to it.
var errNotReusable = errors.New("not reusable")

// release closes the database's pool, ends every other connection to it, and
// either offers it to the run as a spare, renamed and emptied, or drops it:
// without cmd/pgenv, when the test changed its schema, or when a connection to
// it survived being ended (or a new one opened meanwhile). It returns an error
// when the database could not be dropped, or when it was dropped because
// emptying or checking it failed unexpectedly (a fault of pgtest's, which must
// not silently turn reuse off).
func release(ctx context.Context, d *DB) error {
	d.Pool.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, d.adminURL)
	if err != nil {
		return fmt.Errorf("release %s: %w", d.name, err)
	}
	defer admin.Close(ctx)
	mark := spareMark()
	if mark == "" {
		if _, err := admin.Exec(ctx, dropSQL(d.name)); err != nil {
			return fmt.Errorf("release %s: %w", d.name, err)
		}
		return nil
	}
	reused, err := reset(ctx, admin, d)
	if err == nil {
		if err = rename(ctx, admin, reused.name, mark+randomSuffix()); err == nil {
			return nil
		}
		err = fmt.Errorf("%w: offer %s: %w", errNotReusable, reused.name, err)
	}
	if reused != nil {
		d = reused // dropped under the name it has now
	}
	// Its own context: the drop is owed even when the release ran out of time.
	dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dcancel()
	if _, derr := admin.Exec(dctx, dropSQL(d.name)); derr != nil {
		return fmt.Errorf("release %s (%v): %w", d.name, err, derr)
	}
	if !errors.Is(err, errNotReusable) {
		return fmt.Errorf("release %s: dropped, not reused: %w", d.name, err)
	}
	return nil
}

// rename ends every connection to database from (waiting for them to be gone)
// and renames it. A connection that opens in between makes it fail. Only for a
// database that this process holds: its name is its own, so no other process
// can have just renamed it (see takeSpare).
func rename(ctx context.Context, admin *pgx.Conn, from, to string) error {
	if _, err := admin.Exec(ctx, terminateSQL, from); err != nil {
		return err
	}
	_, err := admin.Exec(ctx, renameSQL(from, to))
	return err
}

func renameSQL(from, to string) string {
	return "ALTER DATABASE " + pgx.Identifier{from}.Sanitize() + " RENAME TO " + pgx.Identifier{to}.Sanitize()
}

// reset renames d and empties it under its new name. Whatever the test left
// behind — a server process, a goroutine with a pool of its own — knows only
// the old name, so it can no longer reach the database that the next test
// gets. It returns the renamed database (also with an error, so that the
// caller drops it under the right name), or nil and an error when the rename
// failed. Errors that mean "expected, drop it" wrap errNotReusable.
func reset(ctx context.Context, admin *pgx.Conn, d *DB) (*DB, error) {
	renamed := &DB{adminURL: d.adminURL, name: newName(), schema: d.schema}
	if err := rename(ctx, admin, d.name, renamed.name); err != nil {
		return nil, fmt.Errorf("%w: rename %s: %w", errNotReusable, d.name, err)
	}
	var err error
	if renamed.URL, err = ledgerdb.WithDatabase(d.adminURL, renamed.name); err != nil {
		return renamed, err
	}
	conn, err := pgx.Connect(ctx, renamed.URL)
	if err != nil {
		return renamed, err
	}
	defer conn.Close(ctx)
	schema, err := schemaOf(ctx, conn)
	if err != nil {
		return renamed, fmt.Errorf("schema of %s: %w", renamed.name, err)
	}
	if schema != d.schema {
		return renamed, fmt.Errorf("%w: the test changed the schema", errNotReusable)
	}
	if _, err := conn.Exec(ctx, emptySQL); err != nil {
		if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
			// Not a superuser: the append-only triggers cannot be kept from
			// firing, so no database can be emptied, and none is reused.
			err = fmt.Errorf("%w: %w", errNotReusable, err)
		}
		return renamed, fmt.Errorf("empty %s: %w", renamed.name, err)
	}
	return renamed, nil
}

// terminateSQL ends every connection to database $1 and waits until they are
// gone (pg_terminate_backend waits up to 5 seconds for each).
const terminateSQL = `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`

// emptySQL empties the database's tables as in a new copy of the template: every
// table that has a page on disk is truncated (a table holding a row has one; the
// others are left alone: a TRUNCATE gives a table new files; CASCADE, should a
// foreign key ever reference one), except goose's record of the applied
// migrations, and every sequence that was used starts again. The size comes from
// pg_relation_size, one query for all tables (it asked each table "SELECT
// EXISTS" before: some sixty statements planned per release, 0.5 s of the
// server's planning per make test). session_replication_role = replica keeps the
// event store's append-only triggers, which refuse a TRUNCATE, from firing: this
// is the one place where events are removed, from a test's database after the
// test. (The planner's statistics of the tables are not reset: no test depends
// on them.)
const emptySQL = `
SET session_replication_role = replica;
DO $$
DECLARE
	r record;
	tables text[];
BEGIN
	SELECT array_agg(format('%I.%I', schemaname, tablename)) INTO tables FROM pg_tables
	WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\_temp%'
	  AND tablename <> 'goose_db_version'
	  AND pg_relation_size(format('%I.%I', schemaname, tablename)::regclass) > 0;
	IF cardinality(tables) > 0 THEN
		EXECUTE 'TRUNCATE ' || array_to_string(tables, ', ') || ' CASCADE';
	END IF;
	FOR r IN
		SELECT format('%I.%I', schemaname, sequencename) AS s, start_value FROM pg_sequences
		WHERE last_value IS NOT NULL AND sequencename NOT LIKE 'goose_db_version%'
	LOOP
		PERFORM setval(r.s, r.start_value, false);
	END LOOP;
END
$$;
RESET session_replication_role`

// baselines holds, per server (its admin URL), the schema fingerprint of a
// new database of this run: see baseline.
var baselines sync.Map // admin URL → string

// baseline returns the fingerprint that the release of a database just
// created or claimed compares with: that database's own, computed once per
// process and server and then remembered. Every such database has the same
// schema: a new one is a copy of the run's template (or, without cmd/pgenv,
// the same migrations applied), and a spare was offered only after its
// release found its fingerprint unchanged from this same baseline. So one
// fingerprint per database cycle — at its release — rather than two (each is
// a large catalog query: ~22 ms of the server's time; over make test, 160
// fingerprints took 3.5 s of it, docs/benchmarks.md "Plans kept").
func baseline(ctx context.Context, adminURL string, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (string, error) {
	if fp, ok := baselines.Load(adminURL); ok {
		return fp.(string), nil
	}
	fp, err := schemaOf(ctx, q)
	if err != nil {
		return "", err
	}
	stored, _ := baselines.LoadOrStore(adminURL, fp) // the first of racing callers wins: all agree
	return stored.(string), nil
}

// schemaOf returns a fingerprint of the parts of a database's definition that a
// test might change: schemas, relations (with their kind, persistence and
// rights; views with their definition), columns, defaults, constraints,
// indexes, triggers (and whether they are enabled), sequences' parameters,
// types, functions, and the database's own settings. Not covered (no test
// touches them): row security and policies, rules, owners, column privileges,
// enum labels, large objects.
func schemaOf(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (string, error) {
	var fp string
	err := q.QueryRow(ctx, schemaSQL).Scan(&fp)
	return fp, err
}

const schemaSQL = `
WITH ns AS (
	SELECT oid, nspname, nspacl FROM pg_namespace
	WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
)
SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (
	SELECT format('schema %s %s', nspname, nspacl) FROM ns
	UNION ALL
	SELECT format('rel %s.%s %s %s %s', ns.nspname, c.relname, c.relkind, c.relpersistence, c.relacl)
	FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('col %s.%s %s %s %s %s %s', ns.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid))
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
	LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	WHERE a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT format('con %s.%s %s', ns.nspname, co.conname, pg_get_constraintdef(co.oid))
	FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace
	UNION ALL
	SELECT format('index %s', pg_get_indexdef(i.indexrelid))
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('trigger %s %s', pg_get_triggerdef(t.oid), t.tgenabled)
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('function %s %s', p.oid::regprocedure, md5(pg_get_functiondef(p.oid)))
	FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
	UNION ALL
	SELECT format('view %s.%s %s', ns.nspname, c.relname, md5(pg_get_viewdef(c.oid)))
	FROM pg_class c JOIN ns ON ns.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')
	UNION ALL
	SELECT format('sequence %s.%s %s %s %s %s %s', ns.nspname, c.relname, s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax)
	FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('type %s.%s %s', ns.nspname, t.typname, t.typtype)
	FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
	UNION ALL
	SELECT format('setting %s', s.setconfig)
	FROM pg_db_role_setting s JOIN pg_database db ON db.oid = s.setdatabase WHERE db.datname = current_database()
) AS schema(x)`
