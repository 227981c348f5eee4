// Package lint flags the statements of migrations that lock or rebuild a
// table on MariaDB 10.11, or change its data without saying so, with the
// reason and the alternative. `hubdb migrate lint` runs it on the embedded
// migrations (schema.FS) without a server, and `make test` runs that.
//
//	findings, err := lint.LintAll(nil, 0) // every database of schema.FS
//	for _, f := range findings {
//		fmt.Println(f) // ess/000003_x.up.sql:4: column-type: ...; fix: ...
//	}
//
// # What is flagged
//
// A statement is flagged when the server cannot run it with
// ALGORITHM=INPLACE, LOCK=NONE (kind [Lock]: it copies the table or blocks
// writes while it runs), when it can but rebuilds the table (kind
// [Rebuild]: every row is rewritten, the writes made meanwhile are logged
// and replayed under a short exclusive lock, a large table takes long), or
// when it is instant but fills existing rows with values nobody chose
// (kind [Semantic]). [Rules] lists the rules, each with an example the
// rule flags and, for most, a close statement that passes; the package's
// tests run every example on a real server and check that the server
// agrees: a Lock example is refused with ALGORITHM=INPLACE, LOCK=NONE
// (error 1845 or 1846), a Rebuild example is accepted and gives the table
// a new InnoDB table id, a Semantic example and every counterpart run with
// ALGORITHM=INPLACE, LOCK=NONE and keep the table id. The examples run on
// these tables:
//
//	sites (id BIGINT NOT NULL PRIMARY KEY)
//	readings (id BIGINT AUTO_INCREMENT PRIMARY KEY, site_id BIGINT NOT NULL, value INT NULL,
//	          qty INT NOT NULL DEFAULT 0, unit VARCHAR(16) NULL, note VARCHAR(60) NULL,
//	          kind ENUM('a','b') NOT NULL DEFAULT 'a', pos POINT NOT NULL)   -- utf8mb4
//	raw_events (id BIGINT NOT NULL, payload VARCHAR(100) NULL)            -- no primary key
//	legacy_notes (id BIGINT NOT NULL PRIMARY KEY, txt VARCHAR(100) NULL)  -- latin1
//	articles (id BIGINT NOT NULL PRIMARY KEY, title VARCHAR(100) NULL, body VARCHAR(200) NULL,
//	          FULLTEXT KEY (body))
//
// To tell a type change from an instant one the lint follows each
// database's tables through its migrations in version order (CREATE
// TABLE, ALTER TABLE, RENAME, DROP): a MODIFY or CHANGE of a column it
// does not know is flagged as a type change. Statements on a table
// created earlier in the same file are not flagged: the table is empty.
// SET foreign_key_checks = 0 earlier in the same file makes ADD FOREIGN
// KEY instant (the server then checks no existing row), so it is not
// flagged.
//
// Not flagged, because MariaDB 10.11 does them instantly or in place
// without a rebuild: ADD COLUMN (any position, NULL or with a DEFAULT),
// DROP COLUMN, RENAME COLUMN, a new DEFAULT or COMMENT, widening a VARCHAR
// within the limits of column-type, appending ENUM values, ADD INDEX and
// CREATE [UNIQUE] INDEX (built online), DROP INDEX, DROP FOREIGN KEY, ADD
// FOREIGN KEY after SET foreign_key_checks = 0, the table's default
// character set, AUTO_INCREMENT=, COMMENT=, RENAME TABLE. Not checked at
// all: partition management (ADD/DROP/REORGANIZE PARTITION), data
// statements (a large UPDATE holds its row locks until it commits), and
// servers other than MariaDB (MySQL 8 differs, e.g. it cannot widen a
// VARCHAR past 255 bytes in place).
//
// # Accepting a statement
//
// A reviewed statement is accepted with a comment line before it (or
// inside it, or after its ; on the same line):
//
//	-- hubdb:lint-accept column-type sessions is under 1000 rows; the copy takes milliseconds
//	ALTER TABLE sessions MODIFY token VARBINARY(32) NOT NULL;
//
// The marker names the rule and gives the reason, which is required. It
// accepts that rule's findings on that statement only; they are reported
// as accepted and do not fail. A marker with an unknown rule, without a
// reason, or on a statement that has no finding of its rule is an error.
package lint
