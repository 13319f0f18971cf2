// Package projectiontest compares the tables of the projections at two moments
// of a test — the rows the live path wrote and the rows a rebuild writes from
// the same log, the rows of a partitioned run and of a whole one — without
// moving the rows out of the database.
//
// Take reads, per table, its number of rows and the sum of a 64-bit hash of
// each row's text (hashtextextended(row::text, 0), summed as numeric): a
// fingerprint of the table's rows as a multiset, which does not depend on their
// physical order. Two tables whose rows print the same give the same
// fingerprint; two that differ give different ones but with a chance of about
// one in 2^64. Same (and Diff) compare two States table by table. Reading a
// fingerprint costs the server one pass over the table, where a dump sorted and
// sent every row as text and the test then held and compared them: at the end
// of TestNATSWorkers, 500,000 ledger postings twice.
//
// To see the rows that differ, run the failing test again with
// PASSLEDGER_TEST_DUMP=1: Take then also reads every row as text, sorted, and
// Diff names the first row that differs in each table.
//
// It is for tests only; it never writes.
package projectiontest
