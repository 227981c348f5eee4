// Package testdb is the inside of the test kit (package hubtest): it makes
// and removes the kit's databases on a server, with no knowledge of dbx or
// the generated registry, so that any package's tests can use it.
//
//   - [Resolve] and [PrivateServer] find the server: HUBDB_TEST_DSN, checked
//     by [CheckAllowed], or a private MariaDB shared by the user's test
//     processes that stops itself when idle.
//   - [Open] returns the process's [Engine]: at most a few connections, the
//     kit's tables (database _hubtest_kit), this process's owner lock, and
//     a sweep of what ended processes left.
//   - [Engine.Create] makes a [Set]: copies of templates (built once per
//     schema version, see [Hash], under a server lock), migrated, empty or
//     reserved databases under one prefix; [Set.Drop] and [Set.Keep] end it.
//   - [List] and [Drop] serve `hubdb testdb`.
//   - [Snapshot] and [DiffSnapshots] compare the structure of databases.
//
// The naming scheme is in names.go; every name begins with [Marker].
package testdb
