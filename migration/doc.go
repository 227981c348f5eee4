// Package migration applies the golang-migrate migrations embedded in package
// schema to the SolarHub databases.
//
// A [Migrator] works on one [Target] at a time (a logical database name, its
// physical name and its server), over a dedicated connection with
// multiStatements on: application pools never get that setting. Before it
// changes anything it takes a named lock (GET_LOCK) for the physical
// database, so two migrators started at once on the same databases take
// turns instead of corrupting the version table: the second one waits and
// then finds nothing left to do.
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
// # Dirty databases
//
// MySQL commits DDL as it goes, so a migration file that fails part-way
// leaves its first statements applied and golang-migrate marks the database
// dirty. The migrations of this repository are written to be re-runnable
// (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, ...): after fixing
// the cause, force the previous version and migrate up again.
package migration
