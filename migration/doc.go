// Package migration applies the golang-migrate migrations embedded in package
// schema to the SolarHub databases.
//
// A [Migrator] works on one [Target] at a time (a logical database name, its
// physical name and its server), over a dedicated connection with
// multiStatements on: application pools never get that setting. Before it
// changes anything it takes a named lock (GET_LOCK) for the physical
// database, so two migrators started at once on the same databases take
// turns instead of corrupting the version table: the second one waits and
// then finds nothing left to do. GET_LOCK is local to one server; on a
// Galera cluster a lock row does the same across the nodes (see Galera
// clusters).
//
// # Errors
//
// Every error is an [*Error] whose message is one line naming the operation,
// the database, the cause and the fix, and never the password. Match the
// cause with errors.Is: [ErrDirty], [ErrMissingDatabase], [ErrUnreachable],
// [ErrAccessDenied], [ErrFailed], [ErrLocked], ...
//
// # History
//
// golang-migrate records only the current version. Beside its table each
// database gets [HistoryTable]: one row per applied up file with the
// SHA-256 of its content. [Migrator.Status] reports every disagreement as a
// [Problem]: a file below the version that was never applied ([OutOfOrder]:
// it arrived after a later one ran, and golang-migrate would skip it), an
// applied file that is gone ([Gone]) or whose content changed ([Edited]).
// Up, and Steps or Goto going up, refuse to run over them
// ([ErrOutOfOrder], [ErrMigrationGone], [ErrMigrationEdited]) with the
// file and the fix; going down is allowed (migrating below an out-of-order
// file and up again applies the files in order). Force records the files
// up to its version, as they are now, as applied: the way to accept a file
// applied by hand or an edit that changes nothing on the server. A
// database migrated before the history existed has none and no problems;
// its next run records the files up to its version as applied.
//
// # Galera clusters
//
// On a Galera node GET_LOCK still works (MariaDB 10.11.4 and later; the
// 10.4.29, 10.5.20, 10.6.13 and 10.11.3 releases refused it with error
// 1235 under wsrep_on) but only on that node: two runs through two nodes
// both get it, and then race. DDL is replicated in total order (TOI), but
// golang-migrate's "create the version table if missing" and its version
// writes are not made for two writers: tried on a 3-node cluster, two
// "hubdb migrate up --all" through two nodes failed with "Table
// 'schema_migrations' already exists" (1050), certification failures
// (1213), databases reported dirty, and a history left disagreeing with
// its version.
//
// So when the server is a Galera node (@@wsrep_on = 1 and a wsrep
// provider) a run also takes the database's cluster-wide lock: one row in
// [LockTable], inside the database, keyed by the database's physical name
// and inserted in its own transaction, over a session of its own, once
// the database exists and before golang-migrate touches it. The nodes
// certify the INSERTs of that key in one total order: exactly one
// commits, every other gets a duplicate key or a certification failure
// (1213) and tries again every 250 ms until [Migrator.LockTimeout] (the
// wait for GET_LOCK counted in), then gives up with [ErrLocked] naming the
// holder: its pid and host, the operation, the node and connection it
// holds the lock through, since when, and the row's token. The row is
// deleted when the run ends; the session reads causally
// (wsrep_sync_wait=1), so the next holder sees the version the last one
// left.
//
// A run that dies leaves its row behind. The holder writes a heartbeat
// into it every [ClusterLockHeartbeat]; a waiting run that has seen the
// heartbeat stand still for [ClusterLockStale] (by its own clock: the
// nodes' clocks may differ; its reads of the row are causal, so a
// heartbeat the cluster has ordered but a busy node not yet applied still
// counts) takes the lock over. Through the same node it does not wait:
// the holder's session holds GET_LOCK("hubdb-migrate-holder:<token>")
// there for as long as the row is its, so a row whose lock is free on the
// node that holds it is left by a session that has ended. A run that
// cannot write its heartbeat, or finds its row gone (at a heartbeat or at
// the end), has lost the lock: golang-migrate stops after the migration it
// is running and the run fails with [ErrLocked] ("lost the cluster
// lock"). The assumption is the usual one of leases: a live run writes a
// heartbeat within ClusterLockStale. A long DDL holding up the cluster's
// commits should not break it (the heartbeat is ordered before it waits,
// and a takeover ordered after it fails certification); a node frozen for
// that long, or flow control pausing the cluster that long, can.
//
// The node must be in the primary component (a node that is not fails
// with 1047 and says so) and DDL must replicate in TOI, the default
// (wsrep_OSU_method=RSU would change one node only). LockTable stays in
// the database, like [VersionTable]; it exists only on Galera.
//
// # Dirty databases
//
// MySQL commits DDL as it goes, so a migration file that fails part-way
// leaves its first statements applied and golang-migrate marks the database
// dirty. The migrations of this repository are written to be re-runnable
// (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, ...): after fixing
// the cause, force the previous version and migrate up again.
package migration
