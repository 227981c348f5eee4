package lint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
)

// fixture is the tables the rules' examples run on (doc.go lists them),
// and fixtureRows their rows: every statement runs on a table that has
// rows, as in production.
const fixture = `
CREATE TABLE sites (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE readings (
    id      BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id BIGINT      NOT NULL,
    value   INT         NULL,
    qty     INT         NOT NULL DEFAULT 0,
    unit    VARCHAR(16) NULL,
    note    VARCHAR(60) NULL,
    kind    ENUM('a','b') NOT NULL DEFAULT 'a',
    pos     POINT       NOT NULL,
    KEY idx_readings_site (site_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE raw_events (id BIGINT NOT NULL, payload VARCHAR(100) NULL)
    ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE legacy_notes (id BIGINT NOT NULL PRIMARY KEY, txt VARCHAR(100) NULL) ENGINE=InnoDB DEFAULT CHARSET=latin1;
CREATE TABLE articles (
    id    BIGINT       NOT NULL PRIMARY KEY,
    title VARCHAR(100) NULL,
    body  VARCHAR(200) NULL,
    FULLTEXT KEY ft_articles_body (body)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
`

const fixtureRows = `
INSERT INTO sites VALUES (1), (2);
INSERT INTO readings (site_id, value, qty, unit, note, kind, pos) VALUES
    (1, 5, 1, 'kW', 'first', 'a', POINT(0, 0)), (2, 6, 2, 'kWh', 'second', 'b', POINT(1, 1)),
    (1, 7, 3, 'W', 'third', 'a', POINT(2, 2));
INSERT INTO raw_events VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO legacy_notes VALUES (1, 'a'), (2, 'b');
INSERT INTO articles VALUES (1, 'sun', 'solar power'), (2, 'store', 'battery storage');
`

// proofCase is a statement, the rule the lint must flag it with ("" none)
// and what the server must then do with it.
type proofCase struct {
	name  string
	setup string // more tables and rows, after the fixture (an earlier migration to the lint)
	stmt  string // statements separated by ";\n"; the last one is the one checked
	rule  string
	// overApprox: a known over-approximation of the lint: it flags the
	// statement although the server runs it in place (see the rule's
	// reason).
	overApprox bool
	// instant: the server also runs it with ALGORITHM=INSTANT.
	instant bool
	// check is a query whose result must be want after the statement.
	check, want string
}

// extraCases cover the limits of the rules beyond their examples.
var extraCases = []proofCase{
	{name: "varchar of 64 bytes to 400", stmt: "ALTER TABLE readings MODIFY unit VARCHAR(100) NULL", instant: true},
	{name: "varchar of 240 bytes to 252", stmt: "ALTER TABLE readings MODIFY note VARCHAR(63) NULL", instant: true},
	{name: "varchar of 240 bytes to 256", stmt: "ALTER TABLE readings MODIFY note VARCHAR(64) NULL", rule: ruleColumnType},
	{name: "varchar shrinks", stmt: "ALTER TABLE readings MODIFY unit VARCHAR(8) NULL", rule: ruleColumnType},
	{name: "enum value appended", stmt: "ALTER TABLE readings MODIFY kind ENUM('a','b','c') NOT NULL DEFAULT 'a'", instant: true},
	{name: "enum values reordered", stmt: "ALTER TABLE readings MODIFY kind ENUM('b','a') NOT NULL DEFAULT 'a'", rule: ruleColumnType},
	{name: "int to unsigned", stmt: "ALTER TABLE readings MODIFY value INT UNSIGNED NULL", rule: ruleColumnType},
	{name: "rename by CHANGE", stmt: "ALTER TABLE readings CHANGE value amount INT NULL", instant: true},
	{name: "NOT NULL to NULL", stmt: "ALTER TABLE readings MODIFY qty INT NULL", rule: ruleColumnNull},
	{name: "to NOT NULL with a default", stmt: "ALTER TABLE readings MODIFY value INT NOT NULL DEFAULT 0", rule: ruleColumnNull},
	{name: "collation of a varchar", stmt: "ALTER TABLE readings MODIFY unit VARCHAR(16) COLLATE utf8mb4_bin NULL", instant: true},
	{name: "boolean is tinyint(1)", setup: "ALTER TABLE readings ADD COLUMN flag TINYINT(1) NOT NULL DEFAULT 0",
		stmt: "ALTER TABLE readings MODIFY flag BOOLEAN NOT NULL DEFAULT FALSE", instant: true},
	{name: "latin1 column to utf8mb4", stmt: "ALTER TABLE legacy_notes MODIFY txt VARCHAR(100) CHARACTER SET utf8mb4 NULL",
		rule: ruleColumnType},
	{name: "utf8mb3 varchar(20) to utf8mb4", setup: oldNames,
		stmt: "ALTER TABLE old_names MODIFY name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL", instant: true},
	{name: "utf8mb3 varchar(80) to utf8mb4", setup: oldNames,
		stmt: "ALTER TABLE old_names MODIFY title VARCHAR(80) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL", rule: ruleColumnType},
	{name: "utf8mb3 text to utf8mb4", setup: oldNames,
		stmt: "ALTER TABLE old_names MODIFY body TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL", instant: true},
	{name: "utf8mb3 indexed text to utf8mb4", setup: oldNames,
		stmt: "ALTER TABLE old_names MODIFY memo TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL", rule: ruleColumnType},
	{name: "collation of a text", setup: oldNames, stmt: "ALTER TABLE old_names MODIFY body TEXT COLLATE utf8mb3_bin NULL", instant: true},
	{name: "collation of an indexed text", setup: oldNames, stmt: "ALTER TABLE old_names MODIFY memo TEXT COLLATE utf8mb3_bin NULL",
		rule: ruleColumnType},
	{name: "collation of an indexed varchar", setup: oldNames,
		stmt: "ALTER TABLE old_names MODIFY code VARCHAR(20) COLLATE utf8mb3_bin NULL"},
	{name: "utf8mb3 indexed varchar to utf8mb4", setup: oldNames,
		stmt: "ALTER TABLE old_names MODIFY code VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL"},
	{name: "collation of an enum", stmt: "ALTER TABLE readings MODIFY kind ENUM('a','b') COLLATE utf8mb4_bin NOT NULL DEFAULT 'a'",
		rule: ruleColumnType},
	{name: "CONVERT of utf8mb3 varchar(20) to utf8mb4", setup: oldTags,
		stmt: "ALTER TABLE old_tags CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", rule: ruleConvertCharset, overApprox: true},
	{name: "drop column", stmt: "ALTER TABLE readings DROP COLUMN note", instant: true},
	{name: "drop column of a fulltext table", stmt: "ALTER TABLE articles DROP COLUMN title", rule: ruleFulltextTable},
	{name: "not null with default after a column", stmt: "ALTER TABLE readings ADD COLUMN flag BOOLEAN NOT NULL DEFAULT FALSE AFTER qty", instant: true},
	{name: "json not null default", stmt: "ALTER TABLE readings ADD COLUMN tags JSON NOT NULL DEFAULT '[]' AFTER unit", instant: true},
	{name: "enum null", stmt: "ALTER TABLE readings ADD COLUMN reason ENUM('x','y') NULL AFTER value", instant: true},
	{name: "several columns", stmt: "ALTER TABLE readings ADD COLUMN IF NOT EXISTS a INT NULL, ADD COLUMN IF NOT EXISTS b INT NOT NULL DEFAULT 1 FIRST", instant: true},
	{name: "create index", stmt: "CREATE INDEX IF NOT EXISTS idx_readings_unit ON readings (unit)"},
	{name: "create unique index", stmt: "CREATE UNIQUE INDEX IF NOT EXISTS uq_readings_note ON readings (note)"},
	{name: "create fulltext index", stmt: "CREATE FULLTEXT INDEX ft_readings_note ON readings (note)", rule: ruleFulltextIndex},
	{name: "unique not null key on a table without primary key", stmt: "ALTER TABLE raw_events ADD UNIQUE KEY uq_raw_events_id (id)",
		rule: rulePrimaryKey},
	{name: "unique nullable key on a table without primary key", stmt: "ALTER TABLE raw_events ADD UNIQUE KEY uq_raw_events_payload (payload)"},
	{name: "replace the primary key", stmt: "ALTER TABLE legacy_notes DROP PRIMARY KEY, ADD PRIMARY KEY (id, txt)", rule: rulePrimaryKey},
	{name: "engine", stmt: "ALTER TABLE readings ENGINE=InnoDB", rule: ruleRebuildTable},
	{name: "row format", stmt: "ALTER TABLE readings ROW_FORMAT=DYNAMIC", rule: ruleRebuildTable},
	{name: "optimize", stmt: "OPTIMIZE TABLE readings", rule: ruleRebuildTable},
	{name: "remove partitioning", setup: "CREATE TABLE parts (id BIGINT NOT NULL PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2;\nINSERT INTO parts VALUES (1), (2)",
		stmt: "ALTER TABLE parts REMOVE PARTITIONING", rule: rulePartitioning},
	{name: "virtual column", stmt: "ALTER TABLE readings ADD COLUMN value3 INT AS (value * 3) VIRTUAL", instant: true},
	{name: "not null datetime without default", stmt: "ALTER TABLE readings ADD COLUMN seen_at DATETIME(6) NOT NULL",
		rule: ruleNotNullNoDefault, check: "SELECT COUNT(*) FROM readings WHERE seen_at = '0000-00-00'", want: "3"},
}

const (
	oldNames = "CREATE TABLE old_names (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(20) NULL, title VARCHAR(80) NULL, " +
		"body TEXT NULL, memo TEXT NULL, code VARCHAR(20) NULL, KEY idx_old_names_memo (memo(10)), KEY idx_old_names_code (code)) " +
		"ENGINE=InnoDB DEFAULT CHARSET=utf8mb3;\nINSERT INTO old_names VALUES (1, 'a', 'b', 'c', 'd', 'e')"
	oldTags = "CREATE TABLE old_tags (id BIGINT NOT NULL PRIMARY KEY, tag VARCHAR(20) NULL, KEY idx_old_tags_tag (tag)) " +
		"ENGINE=InnoDB DEFAULT CHARSET=utf8mb3;\nINSERT INTO old_tags VALUES (1, 'a'), (2, 'b')"
)

// proofCases are the examples and counterparts of every rule, then the
// extra cases.
func proofCases() []proofCase {
	var cases []proofCase
	for _, r := range Rules() {
		c := proofCase{name: r.Name + " example", stmt: r.Example, rule: r.Name}
		if r.Name == ruleNotNullNoDefault {
			c.instant = true
			c.check, c.want = "SELECT COUNT(*) FROM readings WHERE region = ''", "3"
		}
		cases = append(cases, c)
		if r.Counterpart != "" {
			cases = append(cases, proofCase{name: r.Name + " counterpart", stmt: r.Counterpart})
		}
	}
	return append(cases, extraCases...)
}

// TestLintAgreesWithServer proves every rule on the test server: the lint
// flags a statement with a rule of kind Lock exactly when the server
// refuses it with ALGORITHM=INPLACE, LOCK=NONE; of kind Rebuild exactly
// when the server runs it so but gives the table a new InnoDB table id;
// and what the lint passes (and the Semantic rule's statements) the server
// runs with ALGORITHM=INPLACE, LOCK=NONE keeping the table.
func TestLintAgreesWithServer(t *testing.T) {
	t.Parallel()
	p := newProver(t)
	for _, c := range proofCases() {
		t.Run(c.name, func(t *testing.T) {
			got := lintCase(t, c)
			if c.rule == "" && len(got) > 0 || c.rule != "" && !slices.Equal(got, []string{c.rule}) {
				t.Fatalf("lint of %q: rules %v, want [%s]", c.stmt, got, c.rule)
			}
			want := "in place"
			if r, ok := ruleByName(c.rule); ok && !c.overApprox {
				want = map[Kind]string{Lock: "refused", Rebuild: "rebuilt", Semantic: "in place"}[r.Kind]
			}
			if outcome, detail := p.run(t, c, "ALGORITHM=INPLACE, LOCK=NONE"); outcome != want {
				t.Errorf("%q with ALGORITHM=INPLACE, LOCK=NONE: the server %s it (%s); the lint says %v, so want %s",
					c.stmt, outcome, detail, got, want)
			}
			if c.check != "" {
				var v string
				if err := p.conn.QueryRowContext(p.ctx, c.check).Scan(&v); err != nil || v != c.want {
					t.Errorf("%s: %q, %v; want %q", c.check, v, err, c.want)
				}
			}
			if c.instant {
				if outcome, detail := p.run(t, c, "ALGORITHM=INSTANT"); outcome != "in place" {
					t.Errorf("%q with ALGORITHM=INSTANT: the server %s it (%s), want it instant", c.stmt, outcome, detail)
				}
			}
		})
	}
}

// TestLintLockingAlterFlaggedInstantPasses is the acceptance test of the lint:
// a locking ALTER (a column's type changed) is flagged and the server
// refuses to run it without locking; an instant one (a NULL column added)
// passes and the server runs it with ALGORITHM=INSTANT.
func TestLintLockingAlterFlaggedInstantPasses(t *testing.T) {
	t.Parallel()
	p := newProver(t)
	locking := proofCase{stmt: "ALTER TABLE readings MODIFY value BIGINT NULL"}
	if got := lintCase(t, locking); !slices.Equal(got, []string{ruleColumnType}) {
		t.Errorf("lint of %q: %v, want [%s]", locking.stmt, got, ruleColumnType)
	}
	if outcome, detail := p.run(t, locking, "ALGORITHM=INPLACE, LOCK=NONE"); outcome != "refused" {
		t.Errorf("%q: the server %s it (%s), want refused", locking.stmt, outcome, detail)
	}
	instant := proofCase{stmt: "ALTER TABLE readings ADD COLUMN peak INT NULL"}
	if got := lintCase(t, instant); len(got) > 0 {
		t.Errorf("lint of %q: %v, want none", instant.stmt, got)
	}
	if outcome, detail := p.run(t, instant, "ALGORITHM=INSTANT"); outcome != "in place" {
		t.Errorf("%q with ALGORITHM=INSTANT: the server %s it (%s)", instant.stmt, outcome, detail)
	}
}

// lintCase lints the case's statement as migration 2 of a database whose
// migration 1 is the fixture and the case's setup, and returns the rules
// of the findings.
func lintCase(t *testing.T, c proofCase) []string {
	t.Helper()
	fsys := fstest.MapFS{
		"db/000001_fixture.up.sql": {Data: []byte(fixture + fixtureRows + c.setup + ";\n")},
		"db/000002_case.up.sql":    {Data: []byte(c.stmt + ";\n")},
	}
	findings, err := Lint(fsys, "db", 1)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, f := range findings {
		rules = append(rules, f.Rule)
	}
	return rules
}

// prover runs cases on a database of the test server, on one connection
// (SET foreign_key_checks applies to the statements after it).
type prover struct {
	ctx  context.Context
	conn *sql.Conn
}

func newProver(t *testing.T) *prover {
	t.Helper()
	d := hubtest.Empty(t, gen.NameESS)
	ctx := context.Background()
	conn, err := d.DB(gen.NameESS).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(version, "MariaDB") {
		t.Skipf("the rules are MariaDB's; the test server is %s", version)
	}
	t.Logf("server %s", version)
	return &prover{ctx: ctx, conn: conn}
}

// tables are the fixture's tables and the setups', dropped before each run.
var tables = []string{"sites", "readings", "raw_events", "legacy_notes", "articles", "old_names", "old_tags", "parts", "fresh"}

// run makes the fixture afresh, runs the case's statements with algorithm
// added to the last one that is not a SET, and says what the server did: "refused" (error
// 1845 or 1846: the algorithm or lock is not supported), "rebuilt" (the
// table has a new InnoDB table id) or "in place".
func (p *prover) run(t *testing.T, c proofCase, algorithm string) (outcome, detail string) {
	t.Helper()
	p.exec(t, "SET foreign_key_checks = 0;\nDROP TABLE IF EXISTS "+strings.Join(tables, ", ")+";\nSET foreign_key_checks = 1")
	p.exec(t, fixture+fixtureRows+c.setup)
	stmts := strings.Split(c.stmt, ";\n")
	i := len(stmts) - 1
	for i > 0 && strings.HasPrefix(strings.ToUpper(stmts[i]), "SET ") {
		i--
	}
	p.exec(t, strings.Join(stmts[:i], ";\n"))
	name, sqlText := withAlgorithm(t, stmts[i], algorithm)
	before := p.tableID(t, name)
	_, err := p.conn.ExecContext(p.ctx, sqlText)
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &me) && (me.Number == 1845 || me.Number == 1846):
		return "refused", me.Message
	case err != nil:
		t.Fatalf("%s: %v", sqlText, err)
	}
	p.exec(t, strings.Join(stmts[i+1:], ";\n"))
	if after := p.tableID(t, name); after != before {
		return "rebuilt", fmt.Sprintf("table id %d, then %d", before, after)
	}
	return "in place", fmt.Sprintf("table id %d kept", before)
}

// exec runs the statements of script (separated by ; at line ends).
func (p *prover) exec(t *testing.T, script string) {
	t.Helper()
	for _, s := range regexp.MustCompile(`;\s*\n`).Split(script, -1) {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if _, err := p.conn.ExecContext(p.ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// tableID is the InnoDB table id of the table name (0 for a partitioned
// table, which has one per partition).
func (p *prover) tableID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	err := p.conn.QueryRowContext(p.ctx,
		"SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = CONCAT(DATABASE(), '/', ?)", name).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return id
}

var (
	alterTable   = regexp.MustCompile(`(?is)^(ALTER\s+TABLE\s+(\w+))\s+(.*)$`)
	createIndex  = regexp.MustCompile(`(?is)^CREATE\s.*\sON\s+(\w+)\s*\(`)
	optimizeStmt = regexp.MustCompile(`(?is)^OPTIMIZE\s+TABLE\s+(\w+)$`)
)

// withAlgorithm returns the table of stmt and stmt with algorithm (e.g.
// "ALGORITHM=INPLACE, LOCK=NONE") in it: first in an ALTER TABLE's list,
// at the end of a CREATE INDEX; OPTIMIZE TABLE takes none.
func withAlgorithm(t *testing.T, stmt, algorithm string) (table, sqlText string) {
	t.Helper()
	stmt = strings.TrimSpace(stmt)
	if m := alterTable.FindStringSubmatch(stmt); m != nil {
		sep := ", "
		if rest := strings.ToUpper(m[3]); strings.HasPrefix(rest, "PARTITION BY") || strings.HasPrefix(rest, "REMOVE PARTITIONING") {
			sep = " " // partitioning is not in the list
		}
		return m[2], m[1] + " " + algorithm + sep + m[3]
	}
	if m := createIndex.FindStringSubmatch(stmt); m != nil {
		return m[1], stmt + " " + strings.ReplaceAll(algorithm, ",", "")
	}
	if m := optimizeStmt.FindStringSubmatch(stmt); m != nil {
		return m[1], stmt
	}
	t.Fatalf("no table in %q", stmt)
	return "", ""
}
