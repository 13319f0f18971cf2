// Package reference holds the ledger's built-in reference data: France's 101
// départements (INSEE code, name, region, legal population), embedded from
// departements.csv. It is pure data and lookups: no I/O beyond the embedded file,
// and it must not import api, app or projections (the api, the web pages and the
// world generator all read it; nothing here depends on them).
package reference
