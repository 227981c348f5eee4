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
// # The file
//
//	dsn: "app:secret@tcp(db1:3306)/"
//	prefix: stage_
//	pool: {size: 10, overflow: 20, timeout: 30s, recycle: 30m}
//	databases:
//	  ess: {dsn: "app:secret@tcp(db2:3306)/", pool: {size: 20}}
//
// pool takes the fields of [dbx.Pool] by their yaml names, durations as Go
// duration strings ("30s", "1m30s"). Unknown keys are errors.
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
// [ErrUnknownDatabase] that list the valid names. A DSN that does not parse
// gives an error matching [ErrInvalidDSN] that names the variable or file
// and the database, but never repeats the DSN: no error of this package
// contains a password. Print servers with [Redact].
package config
