// Package config says where the SolarHub databases live: the MySQL server
// of each logical database, its physical name on that server, and its pool
// settings. It is the only package besides cmd/ that reads the environment,
// and it reads it only through the slice handed to [Load].
//
// # Sources and precedence
//
// A setting comes from the environment, else from the YAML file given to
// [Load] (hubdb's --config), else from the defaults:
//
//	server of database <name>:  HUBDB_<NAME>_DSN  >  HUBDB_DSN
//	                            >  file databases.<name>.dsn  >  file dsn
//	                            >  root@tcp(127.0.0.1:3306)/
//	  (or its Galera nodes, each _GALERA / galera at the level of its _DSN / dsn)
//	replicas of <name>:         HUBDB_<NAME>_REPLICAS  >  HUBDB_REPLICAS
//	                            >  file databases.<name>.replicas  >  file replicas
//	  (only those that go with the server chosen: see Replicas and Galera)
//	physical name prefix:       HUBDB_DB_PREFIX  >  file prefix  >  none
//	pool settings:              file databases.<name>.pool  >  file pool
//	                            >  the dbx defaults (field by field)
//
// Every environment variable beats every file setting, so pointing HUBDB_DSN
// at a staging server moves all databases there even when the file places
// some of them elsewhere. An empty variable counts as unset.
//
// A DSN is a go-sql-driver/mysql server DSN that names no database, e.g.
// "app:secret@tcp(db1:3306)/?tls=true"; the physical database name is the
// prefix followed by the logical name (HUBDB_DB_PREFIX=stage_ maps ess to
// stage_ess).
//
// # Environment variables
//
// [KnownEnv] returns the full list. [Load] reads:
//
//	HUBDB_DSN               server of every database (EnvDSN)
//	HUBDB_<NAME>_DSN        server of one database, e.g. HUBDB_ESS_DSN
//	HUBDB_REPLICAS          replicas of the default server, a DSN list (EnvReplicas)
//	HUBDB_<NAME>_REPLICAS   replicas of one database, e.g. HUBDB_ESS_REPLICAS
//	HUBDB_GALERA            Galera nodes in place of HUBDB_DSN, a DSN list (EnvGalera)
//	HUBDB_<NAME>_GALERA     Galera nodes of one database, e.g. HUBDB_ESS_GALERA
//	HUBDB_DB_PREFIX         physical name prefix (EnvPrefix)
//	HUBDB_TLS_CA            CA file verifying the servers (EnvTLSCA)
//	HUBDB_TLS_SERVER_NAME   name the servers' certificates carry (EnvTLSServerName)
//	HUBDB_TLS_CERT          client certificate file (EnvTLSCert)
//	HUBDB_TLS_KEY           its key file (EnvTLSKey)
//
// and knows, without reading them, the variables of hubdb's tools:
//
//	HUBDB_CONFIG            config file of cmd/solarhub-api (EnvConfig)
//	HUBDB_TEST_DSN          server of the tests (EnvTestDSN)
//	HUBDB_TEST_KEEP         set: tests keep their databases (EnvTestKeep)
//	HUBDB_TEST_ALLOW        host:port of a non-local server tests may use (EnvTestAllow)
//	HUBDB_ADMIN_PASSWORD    passwords of the users hubdb grants --apply
//	HUBDB_APP_PASSWORD      creates (EnvAdminPassword, EnvAppPassword)
//	HUBDB_TEST_CLUSTER      1: run the replica set and Galera tests (EnvTestCluster)
//	HUBDB_CLUSTER_DIR       where those tests put their clusters (EnvClusterDir)
//
// Any other variable whose name starts with HUBDB_, in any letter case, is
// an error matching [ErrUnknownSetting] that names it and the nearest
// known variable, whatever its value (which is never shown): a misspelt
// HUBDB_DB_PREFX=stage_ would otherwise leave the prefix unset and point
// every database at the production names. A HUBDB_<NAME>_DSN whose NAME is
// not a database matches [ErrUnknownDatabase] as well (so do
// HUBDB_<NAME>_REPLICAS and HUBDB_<NAME>_GALERA).
//
// # Replicas and Galera
//
// A database lives on one server, its primary, with any number of GTID
// replicas that serve its reads ([Database].Replicas, dbx.DBConfig.Replicas),
// or on a Galera cluster, whose nodes, in order of preference, take the
// place of the server ([Database].Galera, dbx.DBConfig.Galera). In the
// environment, HUBDB_REPLICAS and HUBDB_GALERA are lists of DSNs
// separated by commas or whitespace, in any mix:
//
//	HUBDB_REPLICAS="app:secret@tcp(db2:3306)/, app:secret@tcp(db3:3306)/"
//	HUBDB_ESS_GALERA="app:secret@tcp(g1:3306)/ app:secret@tcp(g2:3306)/ app:secret@tcp(g3:3306)/"
//
// No character is safe as a separator on its own: go-sql-driver takes a
// password literally, with no escapes, so it may hold a comma or a space,
// and a parameter value may hold a comma (sql_mode=A,B). So a DSN that
// holds a comma or whitespace, or starts with a double quote, is written
// in Go's double-quoted form ("..." with \" for a quote and \\ for a
// backslash):
//
//	HUBDB_REPLICAS='"app:pa,ss@tcp(db2:3306)/", app:x@tcp(db3:3306)/'
//
// An empty element ("a,,b", a comma first or last, as from "$A,$B" with B
// unset) is an error, as is a list of only whitespace. A DSN left unquoted
// is split at its comma or space, and short of a contrived password the
// pieces are not all DSNs: an error naming the element, not a wrong server.
// In the file, replicas: and galera: are YAML lists with one DSN per
// element (no splitting, no quoting beyond YAML's).
//
// Each replica and node DSN stands on its own and must name its user:
// nothing is taken from the primary's DSN or any other, neither user nor
// password nor parameters, since sending the primary's credentials to a
// host that was only meant to be read from would be a surprise, and a DSN
// with no user would log in anonymously. A DSN without a user is an error
// matching [ErrInvalidDSN]. The TLS settings (tls: and HUBDB_TLS_*) apply
// to replicas and nodes as to every server, each getting its own
// tls.Config and, without a server_name, its own host as the name to
// verify. The physical name (prefix and logical name) is the same on every
// server: [Config.DBX] sets it as the DBName of each.
//
// Which lists apply follows the server: a database's replicas are
// HUBDB_<NAME>_REPLICAS if set; else those that go with the level its
// server came from. HUBDB_REPLICAS and the file's top-level replicas are
// the replicas of the default server, so they apply to the databases
// whose server is HUBDB_DSN, the file's dsn or the built-in default, not
// to one with a server of its own; the file's lists apply only while the
// server comes from the file (or the default), so pointing HUBDB_DSN at
// staging does not keep production's replicas from the file. In the file,
// databases.<name>.replicas: [] is set and means none, taking that
// database off the top-level replicas; in the environment an empty
// variable is unset, and pool replica_reads: primary keeps a database's
// reads on its primary. HUBDB_GALERA stands in for HUBDB_DSN: the Galera
// nodes of every database without a server of its own, and so on at each
// level.
//
// Errors matching [ErrInvalidTopology]:
//
//   - a database with both replicas and Galera nodes (a cluster's nodes are
//     read and written one at a time by dbx; it has no replicas), and a
//     level that sets both (HUBDB_GALERA with HUBDB_REPLICAS, galera: with
//     replicas: in one section), whichever databases it reaches;
//   - a level that sets a server and Galera nodes (HUBDB_DSN with
//     HUBDB_GALERA, HUBDB_ESS_DSN with HUBDB_ESS_GALERA, dsn: with
//     galera: in one section): one of the two would be ignored;
//   - a Galera list of fewer than 2 nodes: with one there is nothing to
//     fail over to, and a single-node list is more often a list that did
//     not split as meant (for one server use its DSN);
//   - a list that names a server twice (the same network and address, the
//     host compared without regard to case, whatever the users);
//   - a replica that is its own primary.
//
// The errors name the variable or file key, the element by position
// ("replica 2 of 3"), the databases concerned, and a server only as
// [Redact] shows it. For a database on a Galera cluster, [Database].Server
// and [Config.Target] give the first node: `hubdb migrate` runs on that
// one node, and Galera applies the DDL to the others in the same order
// (total order isolation, wsrep_OSU_method=TOI, the default).
//
// # Prefix rules
//
// A prefix (HUBDB_DB_PREFIX or the file's prefix) must:
//
//   - use only lowercase ASCII letters, digits and _: servers with
//     lower_case_table_names=1 fold names to lower case and others do
//     not, so an upper-case prefix can name different databases on
//     different servers;
//   - start with a letter: MySQL accepts a leading digit, but warns that
//     a name such as 1e1_ess can read as a number where it is not quoted,
//     and operators' scripts and the mysql client often leave it unquoted;
//   - end with _, so that stage_ess, not stageess, shows where the prefix
//     ends;
//   - keep every physical name within MySQL's 64 characters: be at most
//     64 minus the length of the longest logical name long (52 today,
//     with notification).
//
// Breaking a rule is an error matching [ErrInvalidPrefix] that says which
// rule and how to fix it, without repeating the prefix.
//
// The one exception is a test's prefix from the test kit (package hubtest,
// Databases.Prefix), of the shape _hubtest_<8 hex digits>_<n>_: it begins
// with an underscore precisely so that no prefix that follows the rules can
// name a database of the kit, and the kit drops only names of that shape.
//
// # The file
//
//	dsn: "app:secret@tcp(db1:3306)/"
//	replicas: ["app:secret@tcp(db1r:3306)/"]  # of dsn; HUBDB_REPLICAS wins
//	prefix: stage_
//	pool: {size: 10, overflow: 20, timeout: 30s, recycle: 30m}
//	databases:
//	  ess: {dsn: "app:secret@tcp(db2:3306)/", pool: {size: 20}}
//	  pv:
//	    galera: ["app:secret@tcp(g1:3306)/", "app:secret@tcp(g2:3306)/", "app:secret@tcp(g3:3306)/"]
//	  site: {replicas: []}                    # none: site stays on db1 alone
//
// pool takes the fields of [dbx.Pool] by their yaml names, durations as Go
// duration strings ("30s", "1m30s"). A key left out means the default: the
// top-level pool's value for a database, then dbx's default (size 10,
// overflow 20, ...). A key written with 0 means zero: size: 0 keeps no
// idle connection and overflow: 0 allows none beyond size (a fixed pool);
// overflow: -1 means no maximum ([dbx.Unlimited]). The replica settings of
// dbx.Pool are pool keys too (replica_reads, max_replica_lag,
// replica_poll, causal_wait, plain_reads_on_replicas), for all databases
// or one.
//
// server_budget and instances (top level) set the server connection budget
// shared by all pools of the process (see dbx.Config): server_budget: 40
// caps every server at 40 connections instead of max_connections minus 10;
// instances: 4 divides the derived budget among 4 processes of the service.
// A pool's guaranteed: N reserves N of the budget for that database.
//
// An unknown key, at any level, is an error matching [ErrInvalidFile]
// that gives the file and line and the nearest known key, e.g.
//
//	config: hubdb.yaml:4: invalid config file: unknown key "sise" in databases.ess.pool; did you mean "size"?
//
// and an unknown name under databases is one matching [ErrUnknownDatabase].
//
// # TLS
//
// A DSN's tls= parameter takes go-sql-driver's modes: true (verify the
// server's certificate), skip-verify (encrypt, verify nothing), preferred
// (encrypt when the server offers TLS) and false. A custom CA, a server
// name and a client certificate come from the file or the environment,
// each variable beating its file field:
//
//	tls:
//	  mode: true                  # used where a DSN has no tls= of its own
//	  ca: /etc/hubdb/ca.pem       # HUBDB_TLS_CA
//	  server_name: db.internal    # HUBDB_TLS_SERVER_NAME (default: the DSN's host)
//	  cert: /etc/hubdb/client.pem # HUBDB_TLS_CERT, for users REQUIRE X509
//	  key: /etc/hubdb/client.key  # HUBDB_TLS_KEY
//
// A CA alone turns verified TLS on for every server whose DSN does not say
// tls=false; with tls=preferred it verifies too; with tls=skip-verify it
// is an error matching [ErrInvalidTLS]. Each server gets its own
// mysql.Config.TLS: nothing is registered with mysql.RegisterTLSConfig.
//
// # Errors and secrets
//
// Unknown database names, whether in the file, in a HUBDB_<NAME>_DSN
// variable or asked for by a caller, are errors matching
// [ErrUnknownDatabase] that list the valid names and suggest the nearest.
// Unknown HUBDB_* variables and file keys are errors too (above): none of
// them shows a value, and a name that does not look like one (it might be
// a value typed in the wrong place) is not shown either. A DSN that does
// not parse gives an error matching [ErrInvalidDSN] that names the
// variable or file and the database, but never repeats the DSN: no error
// of this package contains a password. Print servers with [Redact], a
// database with [Database.String] and all of them with [Config.String].
package config
