// Package hardening holds no code, only tests that cut across packages:
// TLS to a MariaDB that requires it, secrets kept out of every output
// path, least privilege for the application user, and bad values through
// the generated queries. They get their databases from package hubtest
// (the server at HUBDB_TEST_DSN, else the kit's private MariaDB), and
// start private MariaDB servers (internal/devdb) where they change server
// settings. Run them with
//
//	HUBDB_TEST_DSN='root@tcp(127.0.0.1:3306)/' go test -race ./hardening/
package hardening
