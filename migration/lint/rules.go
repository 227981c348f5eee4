package lint

import "slices"

// Kind says what a rule's statements do to a table on the server.
type Kind int

const (
	// Lock: the server refuses the statement with ALGORITHM=INPLACE,
	// LOCK=NONE (error 1845 or 1846): it copies the table or blocks
	// writes while it runs.
	Lock Kind = iota + 1
	// Rebuild: the server accepts ALGORITHM=INPLACE, LOCK=NONE, but
	// rebuilds the table: every row is rewritten while the concurrent
	// writes are logged (at most innodb_online_alter_log_max_size) and
	// replayed under a short exclusive lock at the end.
	Rebuild
	// Semantic: the statement is instant, but changes data without
	// saying so.
	Semantic
)

// String is the kind's name in findings and the docs: lock, rebuild or
// semantic.
func (k Kind) String() string {
	switch k {
	case Lock:
		return "lock"
	case Rebuild:
		return "rebuild"
	case Semantic:
		return "semantic"
	}
	return "unknown"
}

// Rule is one check of the lint. Example and Counterpart run on the tables
// that doc.go lists (sites, readings, raw_events, legacy_notes, articles);
// the package's tests run both on a real server.
type Rule struct {
	// Name is the rule's name in findings and in accept markers.
	Name string
	// Kind is what the flagged statements do on the server.
	Kind Kind
	// Reason says what the server does with the flagged statements.
	Reason string
	// Fix is the alternative.
	Fix string
	// Example is a statement the rule flags.
	Example string
	// Counterpart, when there is one, is a close statement the lint
	// passes: the server runs it with ALGORITHM=INPLACE, LOCK=NONE (most
	// of them INSTANT) without rebuilding the table. Statements are
	// separated by ";\n".
	Counterpart string
}

// Names of the rules.
const (
	ruleColumnType       = "column-type"
	ruleColumnNull       = "column-null"
	rulePrimaryKey       = "primary-key"
	ruleDropPrimaryKey   = "drop-primary-key"
	ruleConvertCharset   = "convert-charset"
	ruleRebuildTable     = "rebuild-table"
	ruleFulltextIndex    = "fulltext-index"
	ruleFulltextTable    = "fulltext-table"
	ruleSpatialIndex     = "spatial-index"
	ruleForeignKey       = "foreign-key"
	ruleCheckConstraint  = "check-constraint"
	ruleStoredColumn     = "stored-column"
	ruleAutoIncrement    = "auto-increment-column"
	rulePartitioning     = "partitioning"
	ruleOrderBy          = "order-by"
	ruleNotNullNoDefault = "not-null-no-default"
)

const expandContract = "expand/contract: add a new column with the new definition (instant), " +
	"write both from the code, backfill it in batches, switch the reads, drop the old column in a later migration; " +
	"or run the ALTER with pt-online-schema-change or gh-ost"

var rules = []Rule{
	{
		Name: ruleColumnType, Kind: Lock,
		Reason: "changing a column's type copies the table (ALGORITHM=COPY) and blocks writes while it runs; " +
			"in place (most instantly) are only: widening a VARCHAR/VARBINARY, unless from 128-255 bytes to more than 255; " +
			"appending ENUM/SET values within the same storage size; utf8mb3 to utf8mb4 or a new collation, " +
			"except of ENUM/SET and of an indexed TEXT; a new default, comment, name or position",
		Fix:         expandContract,
		Example:     "ALTER TABLE readings MODIFY value BIGINT NULL",
		Counterpart: "ALTER TABLE readings MODIFY unit VARCHAR(64) NULL",
	},
	{
		Name: ruleColumnNull, Kind: Rebuild,
		Reason: "changing a column between NULL and NOT NULL rebuilds the table (online, but every row is rewritten); " +
			"to NOT NULL fails on the first NULL left",
		Fix: "backfill the NULLs in batches first, and on a large table run the change out of band (pt-online-schema-change) " +
			"or keep the column NULL and enforce the rule in the code",
		Example:     "ALTER TABLE readings MODIFY value INT NOT NULL",
		Counterpart: "ALTER TABLE readings MODIFY qty INT NOT NULL DEFAULT 5",
	},
	{
		Name: rulePrimaryKey, Kind: Rebuild,
		Reason: "adding or replacing the primary key rebuilds the table: InnoDB stores the rows in its order " +
			"(online, but every row is rewritten)",
		Fix: "give the table its primary key when it is created; on a large table, build the new table with " +
			"pt-online-schema-change or gh-ost (on a table without a primary key, the first UNIQUE key of NOT NULL " +
			"columns becomes it: the same rebuild; an ordinary index is built online)",
		Example:     "ALTER TABLE raw_events ADD PRIMARY KEY (id)",
		Counterpart: "ALTER TABLE raw_events ADD INDEX idx_raw_events_id (id)",
	},
	{
		Name: ruleDropPrimaryKey, Kind: Lock,
		Reason: "dropping the primary key without adding another in the same statement copies the table " +
			"and blocks writes while it runs",
		Fix:     "replace it in one statement (DROP PRIMARY KEY, ADD PRIMARY KEY (...): an online rebuild), or keep it",
		Example: "ALTER TABLE legacy_notes DROP PRIMARY KEY",
	},
	{
		Name: ruleConvertCharset, Kind: Lock,
		Reason: "CONVERT TO CHARACTER SET changes every character column and copies the table unless InnoDB can " +
			"change each of them in place (e.g. VARCHAR from utf8mb3 to utf8mb4); the lint does not tell them apart",
		Fix: "change only the table's default (DEFAULT CHARACTER SET ..., instant: it applies to new columns) and convert " +
			"the columns one by one with " + expandContract + "; a CONVERT tried with ALGORITHM=INPLACE, LOCK=NONE on a copy " +
			"can be accepted",
		Example:     "ALTER TABLE legacy_notes CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
		Counterpart: "ALTER TABLE legacy_notes DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
	},
	{
		Name: ruleRebuildTable, Kind: Rebuild,
		Reason: "FORCE, ENGINE=, ROW_FORMAT=, KEY_BLOCK_SIZE= and OPTIMIZE TABLE rebuild the whole table " +
			"(online for InnoDB to InnoDB, every row is rewritten; to another engine it is a copy that blocks writes)",
		Fix: "run it out of band at a quiet time (or with pt-online-schema-change), not in a migration " +
			"that every environment runs",
		Example:     "ALTER TABLE readings FORCE",
		Counterpart: "ALTER TABLE readings COMMENT = 'meter readings'",
	},
	{
		Name: ruleFulltextIndex, Kind: Lock,
		Reason: "a FULLTEXT index is built with writes blocked (LOCK=SHARED), and the table's first one " +
			"rebuilds it to add the hidden FTS_DOC_ID column",
		Fix: "create the table with its FULLTEXT index, or build the index with pt-online-schema-change or gh-ost; " +
			"an ordinary index is built online",
		Example:     "ALTER TABLE readings ADD FULLTEXT INDEX ft_readings_note (note)",
		Counterpart: "ALTER TABLE readings ADD INDEX idx_readings_note (note)",
	},
	{
		Name: ruleFulltextTable, Kind: Lock,
		Reason: "on a table with a FULLTEXT index, adding or dropping a column rebuilds it with writes blocked " +
			"(LOCK=SHARED): neither is instant there",
		Fix: "run the change with pt-online-schema-change or gh-ost, or keep the searchable text " +
			"in a table of its own",
		Example: "ALTER TABLE articles ADD COLUMN lang VARCHAR(8) NULL",
	},
	{
		Name: ruleSpatialIndex, Kind: Lock,
		Reason:  "a SPATIAL index is built with writes blocked (LOCK=SHARED)",
		Fix:     "create the table with its SPATIAL index, or build it with pt-online-schema-change or gh-ost",
		Example: "ALTER TABLE readings ADD SPATIAL INDEX sp_readings_pos (pos)",
	},
	{
		Name: ruleForeignKey, Kind: Lock,
		Reason: "with foreign_key_checks on, adding a foreign key copies the table to check every row " +
			"and blocks writes while it runs",
		Fix: "check for orphans with a query first, then SET foreign_key_checks = 0 before the ALTER in the same file " +
			"(it is then instant and checks no existing row) and SET foreign_key_checks = 1 after it",
		Example: "ALTER TABLE readings ADD CONSTRAINT fk_readings_site FOREIGN KEY (site_id) REFERENCES sites (id)",
		Counterpart: "SET foreign_key_checks = 0;\n" +
			"ALTER TABLE readings ADD CONSTRAINT fk_readings_site FOREIGN KEY (site_id) REFERENCES sites (id);\n" +
			"SET foreign_key_checks = 1",
	},
	{
		Name: ruleCheckConstraint, Kind: Lock,
		Reason: "adding a CHECK constraint to a table copies it to check every row " +
			"and blocks writes while it runs (check_constraint_checks = 0 does not change that)",
		Fix: "enforce the rule in the code and clean the rows in batches; a new column may bring its own CHECK " +
			"(instant); or add the constraint with pt-online-schema-change",
		Example:     "ALTER TABLE readings ADD CONSTRAINT ck_readings_qty CHECK (qty >= 0)",
		Counterpart: "ALTER TABLE readings ADD COLUMN ratio INT NULL CHECK (ratio >= 0)",
	},
	{
		Name: ruleStoredColumn, Kind: Lock,
		Reason: "a STORED (PERSISTENT) generated column is computed into every row by copying the table, " +
			"with writes blocked",
		Fix:         "add it VIRTUAL (instant; an index on it is built online), or with pt-online-schema-change",
		Example:     "ALTER TABLE readings ADD COLUMN value2 INT AS (value * 2) STORED",
		Counterpart: "ALTER TABLE readings ADD COLUMN value2 INT AS (value * 2) VIRTUAL",
	},
	{
		Name: ruleAutoIncrement, Kind: Lock,
		Reason: "adding an AUTO_INCREMENT column numbers every row in a rebuild with writes blocked (LOCK=SHARED)",
		Fix: "add the column NULL (instant), fill it in batches, then make it the key; " +
			"or use pt-online-schema-change",
		Example:     "ALTER TABLE legacy_notes ADD COLUMN seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY uq_legacy_notes_seq (seq)",
		Counterpart: "ALTER TABLE legacy_notes ADD COLUMN seq BIGINT NULL",
	},
	{
		Name: rulePartitioning, Kind: Lock,
		Reason: "PARTITION BY and REMOVE PARTITIONING copy every row into a new table with writes blocked " +
			"(managing the partitions of a partitioned table, ADD/DROP/REORGANIZE PARTITION, is not checked)",
		Fix: "create the new table partitioned, copy the rows in batches and swap the two with RENAME TABLE, " +
			"or use pt-online-schema-change",
		Example: "ALTER TABLE raw_events PARTITION BY HASH (id) PARTITIONS 4",
	},
	{
		Name: ruleOrderBy, Kind: Lock,
		Reason: "ALTER TABLE ... ORDER BY copies the table to sort it, with writes blocked; " +
			"InnoDB keeps the rows in primary key order anyway",
		Fix:     "drop the statement",
		Example: "ALTER TABLE readings ORDER BY value",
	},
	{
		Name: ruleNotNullNoDefault, Kind: Semantic,
		Reason: "a NOT NULL column without a DEFAULT is added instantly, but every existing row silently gets " +
			"the type's implicit default ('' for strings, 0 for numbers, the first ENUM value, a zero date)",
		Fix: "say what the existing rows get: NOT NULL DEFAULT <value> (instant); if it must be computed, " +
			"add the column NULL, backfill it in batches, and make it NOT NULL in a later migration (" + ruleColumnNull + ")",
		Example:     "ALTER TABLE readings ADD COLUMN region VARCHAR(8) NOT NULL",
		Counterpart: "ALTER TABLE readings ADD COLUMN region VARCHAR(8) NOT NULL DEFAULT 'eu'",
	},
}

// Rules returns the rules of the lint, in the order of the docs.
func Rules() []Rule { return slices.Clone(rules) }

// ruleByName returns the rule named name.
func ruleByName(name string) (Rule, bool) {
	for _, r := range rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}
