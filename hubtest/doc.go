// Package hubtest gives each test its own migrated copies of the SolarHub
// databases on a real MariaDB or MySQL server, in milliseconds, and drops
// them when the test ends.
//
//	func TestCreateSite(t *testing.T) {
//		t.Parallel()
//		hub := hubtest.Hub(t, gen.NameAccount, gen.NameSite)
//		// hub.Site, hub.Account: typed queries on this test's databases alone
//	}
//
// [Hub] returns a *gen.Hub on the databases the test names (all 18 when it
// names none); [New] returns the [Databases] themselves (physical names, a
// dbx.Config, DSNs, plain *sql.DB handles) for tests that open their own
// hub or use another client; [Empty] returns empty databases for tests of
// migrations, and [Reserve] names that the code under test creates
// (dropped at the end all the same); [Databases.Drop] drops a set before
// the test ends. A [Kit] changes the defaults: another server, pool
// settings, fixtures.
//
// # Which server
//
// The server at HUBDB_TEST_DSN (a go-sql-driver/mysql DSN without a
// database, e.g. root@tcp(127.0.0.1:3306)/). When it is unset the kit
// starts a private MariaDB (installing Debian's mariadb-server when
// mariadbd is missing and the test runs as root), shared by every test
// process of the user: `go test ./...` needs nothing set up by hand. The
// private server keeps its datadir (in /dev/shm when there is room) and
// stops itself about 20 s after its last client left.
//
// The kit refuses a server that is not on a loopback address or a unix
// socket unless told otherwise (HUBDB_TEST_ALLOW=<host:port>, or
// Kit.AllowServer): tests create and drop databases.
//
// # Names, and what is dropped
//
// Every database the kit makes has a name beginning with _hubtest_, which
// no production database of hubdb can have (prefixes and logical names
// begin with a letter):
//
//	_hubtest_1a2b3c4d_7_ess      a test's copy (process 1a2b3c4d, its 7th set)
//	_hubtest_tpl_<hash>_ess      the template of ess at one schema version
//	_hubtest_kit                 the kit's own tables
//
// When a test ends, its copies are dropped if it passed and kept if it
// failed: the test's log names them and gives a command to connect and one
// to drop them. HUBDB_TEST_KEEP=1 (or Kit.Keep) keeps passing tests'
// copies too. Each process holds a server lock while it runs; the first
// test of a process drops the copies of processes that ended without
// cleaning up (a killed run), never the kept ones. `hubdb testdb list` and
// `hubdb testdb drop` show and remove the kit's databases by prefix.
//
// # How copies are made
//
// MySQL has no CREATE DATABASE ... TEMPLATE, and CREATE TABLE ... LIKE
// loses foreign keys. The kit migrates each database once per schema
// version (a hash of the files of schema/<db>/) into a template, under a
// server lock so that parallel test binaries build it once, and records
// the template's CREATE TABLE statements in its own table only when the
// template is complete (a build that died is rebuilt). A test's copies are
// that script replayed, for all its databases in one round trip, foreign
// keys included, with the version table's row, so `hubdb migrate status`
// calls them current. BENCHMARKS.md compares this with migrating each copy
// (Kit.Migrate) on this machine.
//
// # Fixtures
//
// Seed rows through the generated queries, not SQL strings: a [Fixture]
// is a function of the hub, and Kit.Fixtures run on every hub the kit
// returns (see the Kit example). A table's rows belong to the test, so
// fixed keys are safe under t.Parallel().
//
// # Connections
//
// A hub of the kit has pools of Size 1 and Overflow 3 and a server budget
// of [DefaultBudget] connections; the kit itself holds at most five per
// process. Many parallel tests therefore fit in a server's
// max_connections; a test that needs more sets Kit.Budget.
package hubtest
