package lint

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLintRepositoryMigrations: the repository's own migrations have no
// finding that is not accepted (make test runs hubdb migrate lint --all,
// which says the same).
func TestLintRepositoryMigrations(t *testing.T) {
	findings, err := LintAll(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if !f.Accepted {
			t.Errorf("%s", f)
		}
	}
}

// TestLintRuleExamples: each rule's example is flagged by that rule alone and
// its counterpart by none (the proof runs them on a server as well).
func TestLintRuleExamples(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.Name] || r.Kind == 0 || r.Reason == "" || r.Fix == "" || r.Example == "" {
			t.Errorf("rule %+v: duplicate, or without kind, reason, fix or example", r)
		}
		seen[r.Name] = true
		if got := lintCase(t, proofCase{stmt: r.Example}); !slices.Equal(got, []string{r.Name}) {
			t.Errorf("%s example %q: %v", r.Name, r.Example, got)
		}
		if r.Counterpart != "" {
			if got := lintCase(t, proofCase{stmt: r.Counterpart}); len(got) > 0 {
				t.Errorf("%s counterpart %q: %v", r.Name, r.Counterpart, got)
			}
		}
	}
}

// lintFiles lints database db of files (name: content) and returns the
// findings as strings "file:line rule [accepted]".
func lintFiles(t *testing.T, since uint, files map[string]string) ([]string, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys["db/"+name] = &fstest.MapFile{Data: []byte(src)}
	}
	findings, err := Lint(fsys, "db", since)
	var out []string
	for _, f := range findings {
		s := f.File + ":" + strconv.Itoa(f.Line) + " " + f.Rule
		if f.Accepted {
			s += " accepted: " + f.Why
		}
		out = append(out, s)
	}
	return out, err
}

const init1 = `-- the tables
CREATE TABLE IF NOT EXISTS meters (
    id     BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    serial VARCHAR(32) NOT NULL,
    kind   ENUM('ac','dc') NOT NULL,
    note   TEXT NULL,
    UNIQUE KEY uq_meters_serial (serial)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS sites (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
`

func TestLint(t *testing.T) {
	tests := []struct {
		name  string
		since uint
		files map[string]string
		want  []string
		errs  []string // in the error, one per line; none: no error
	}{
		{name: "type change, line of the clause",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "-- widen\nALTER TABLE meters\n    MODIFY serial VARCHAR(63) NOT NULL,\n    MODIFY kind VARCHAR(8) NOT NULL;\n"},
			want: []string{"000002_x.up.sql:4 column-type"}},
		{name: "since skips earlier files but follows their tables",
			since: 2,
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "ALTER TABLE meters MODIFY serial VARCHAR(16) NOT NULL;",
				"000003_y.up.sql": "ALTER TABLE meters MODIFY serial VARCHAR(20) NOT NULL;"}}, // 16 to 20: in place
		{name: "a table created in the same file is empty",
			files: map[string]string{"000001_init.up.sql": init1 +
				"CREATE TABLE fresh (id BIGINT NOT NULL, v INT NULL);\nALTER TABLE fresh MODIFY v BIGINT NULL, ADD PRIMARY KEY (id);\n" +
				"CREATE FULLTEXT INDEX ft ON fresh (v);\nRENAME TABLE fresh TO fresh2;\nALTER TABLE fresh2 FORCE;\n"},
		},
		{name: "CREATE TABLE IF NOT EXISTS of an existing table creates nothing",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "CREATE TABLE IF NOT EXISTS meters (id INT);\nALTER TABLE meters MODIFY kind ENUM('dc','ac') NOT NULL;"},
			want: []string{"000002_x.up.sql:2 column-type"}},
		{name: "DROP and CREATE make an empty table",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "DROP TABLE IF EXISTS meters;\nCREATE TABLE meters (id BIGINT NOT NULL);\nALTER TABLE meters ADD PRIMARY KEY (id);"}},
		{name: "CREATE ... SELECT is not empty",
			files: map[string]string{"000001_init.up.sql": init1 + "CREATE TABLE copy AS SELECT * FROM meters;\nALTER TABLE copy MODIFY kind TEXT;"},
			want:  []string{"000001_init.up.sql:11 column-type"}},
		{name: "unknown table or column",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "ALTER TABLE elsewhere MODIFY a INT NULL;\nALTER TABLE meters CHANGE nope nope2 INT NULL;\n" +
					"ALTER TABLE meters MODIFY COLUMN IF EXISTS nope INT NULL;"},
			want: []string{"000002_x.up.sql:1 column-type", "000002_x.up.sql:2 column-type"}},
		{name: "ADD COLUMN IF NOT EXISTS of an existing column is a no-op",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "ALTER TABLE meters ADD COLUMN IF NOT EXISTS serial INT NOT NULL, ADD COLUMN IF NOT EXISTS b INT NOT NULL;"},
			want: []string{"000002_x.up.sql:1 not-null-no-default"}},
		{name: "the model follows renames and drops",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "RENAME TABLE meters TO m2;\nALTER TABLE m2 RENAME COLUMN serial TO sn;\n" +
					"ALTER TABLE m2 MODIFY sn VARCHAR(40) NOT NULL;\nALTER TABLE m2 CHANGE sn sn2 VARCHAR(40) NULL;\n" +
					"ALTER TABLE m2 RENAME TO m3;\nALTER TABLE m3 MODIFY sn2 VARCHAR(40) NOT NULL;\n" +
					"ALTER TABLE m3 DROP COLUMN sn2, ADD COLUMN sn2 VARCHAR(4) NULL;\nALTER TABLE m3 MODIFY sn2 VARCHAR(8) NULL;"},
			want: []string{"000002_x.up.sql:4 column-null", "000002_x.up.sql:6 column-null"}},
		{name: "the text type of a CONVERT grows",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "ALTER TABLE meters CONVERT TO CHARACTER SET latin1;\nALTER TABLE meters CONVERT TO CHARSET utf8mb4;\n" +
					"ALTER TABLE meters MODIFY note TEXT NULL;"}, // MEDIUMTEXT by now
			want: []string{"000002_x.up.sql:1 convert-charset", "000002_x.up.sql:2 convert-charset", "000002_x.up.sql:3 column-type"}},
		{name: "foreign_key_checks = 0 in the same file only",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "SET foreign_key_checks = 0;\nALTER TABLE meters ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES sites (id);\n" +
					"SET @@SESSION.foreign_key_checks = ON;\nALTER TABLE meters ADD FOREIGN KEY (id) REFERENCES sites (id);\n" +
					"SET GLOBAL foreign_key_checks = 0;\nALTER TABLE meters ADD FOREIGN KEY (id) REFERENCES sites (id);",
				"000003_y.up.sql": "ALTER TABLE meters ADD FOREIGN KEY (id) REFERENCES sites (id);"},
			want: []string{"000002_x.up.sql:4 foreign-key", "000002_x.up.sql:6 foreign-key", "000003_y.up.sql:1 foreign-key"}},
		{name: "several findings in one statement, accepted one by one",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "-- hubdb:lint-accept rebuild-table meters has 40 rows\n" +
					"ALTER TABLE meters ENGINE=InnoDB, ROW_FORMAT=DYNAMIC, MODIFY kind TEXT; -- hubdb:lint-accept column-type ditto\n" +
					"ALTER TABLE meters ORDER BY id; /* hubdb:lint-accept order-by a block comment */\n"},
			want: []string{"000002_x.up.sql:2 rebuild-table accepted: meters has 40 rows",
				"000002_x.up.sql:2 rebuild-table accepted: meters has 40 rows",
				"000002_x.up.sql:2 column-type accepted: ditto",
				"000002_x.up.sql:3 order-by accepted: a block comment"}},
		{name: "a marker inside the statement",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "ALTER TABLE meters\n  # hubdb:lint-accept column-type   reviewed\n  MODIFY note MEDIUMTEXT NULL;"},
			want: []string{"000002_x.up.sql:3 column-type accepted: reviewed"}},
		{name: "a marker applies to its statement only",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "-- hubdb:lint-accept column-type reviewed\nALTER TABLE meters MODIFY note MEDIUMTEXT NULL;\n" +
					"ALTER TABLE meters MODIFY kind TEXT NOT NULL;"},
			want: []string{"000002_x.up.sql:2 column-type accepted: reviewed", "000002_x.up.sql:3 column-type"}},
		{name: "bad markers",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "-- hubdb:lint-accept column-type\nALTER TABLE meters MODIFY note MEDIUMTEXT NULL;\n" +
					"-- hubdb:lint-accept no-such-rule because\nALTER TABLE meters FORCE;\n" +
					"-- hubdb:lint-accept column-null nothing to accept\nALTER TABLE meters ADD COLUMN x INT NULL;\n" +
					"-- hubdb:lint-accept\n-- hubdb:lint-accept order-by at the end\n"},
			want: []string{"000002_x.up.sql:2 column-type", "000002_x.up.sql:4 rebuild-table"},
			errs: []string{"lint: db/000002_x.up.sql:1: hubdb:lint-accept column-type needs a reason after the rule",
				`lint: db/000002_x.up.sql:3: hubdb:lint-accept: unknown rule "no-such-rule" (rules: column-type, column-null,`,
				"lint: db/000002_x.up.sql:5: hubdb:lint-accept column-null: the statement has no column-null finding",
				"lint: db/000002_x.up.sql:7: hubdb:lint-accept is not followed by a statement",
				"lint: db/000002_x.up.sql:8: hubdb:lint-accept is not followed by a statement"}},
		{name: "markers of files before since are not checked",
			since: 1,
			files: map[string]string{"000001_init.up.sql": init1 + "-- hubdb:lint-accept\n",
				"000002_x.up.sql": "ALTER TABLE meters FORCE;"},
			want: []string{"000002_x.up.sql:1 rebuild-table"}},
		{name: "unterminated quote",
			files: map[string]string{"000001_init.up.sql": init1 + "ALTER TABLE meters COMMENT 'oops;\n"},
			errs:  []string{"lint: db/000001_init.up.sql: line 10: unterminated '"}},
		{name: "quotes and comments hide keywords",
			files: map[string]string{"000001_init.up.sql": init1,
				"000002_x.up.sql": "INSERT INTO sites VALUES (1); -- ALTER TABLE meters FORCE;\n" +
					"/* ALTER TABLE meters FORCE; */ SELECT 'ALTER TABLE meters FORCE;', \"x;\", `a;b`, 'it''s', 'a\\'b';\n" +
					"/*!40101 ALTER TABLE meters FORCE */;\n"},
			want: []string{"000002_x.up.sql:3 rebuild-table"}},
		{name: "partitioning after the last specification, OPTIMIZE, unique key becoming the primary key",
			files: map[string]string{"000001_init.up.sql": init1 + "CREATE TABLE raw (id BIGINT NOT NULL, p INT NULL, UNIQUE KEY (p));\n",
				"000002_x.up.sql": "ALTER TABLE meters ADD COLUMN y INT NULL PARTITION BY HASH (id) PARTITIONS 2;\n" +
					"OPTIMIZE LOCAL TABLE meters, sites;\nCREATE UNIQUE INDEX u ON raw (id);\nCREATE UNIQUE INDEX u2 ON raw (p, id);"},
			want: []string{"000002_x.up.sql:1 partitioning", "000002_x.up.sql:2 rebuild-table", "000002_x.up.sql:2 rebuild-table",
				"000002_x.up.sql:3 primary-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lintFiles(t, tt.since, tt.files)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			var lines []string
			if err != nil {
				lines = strings.Split(err.Error(), "\n")
			}
			ok := len(lines) == len(tt.errs)
			for i := 0; ok && i < len(lines); i++ {
				ok = strings.HasPrefix(lines[i], tt.errs[i])
			}
			if !ok {
				t.Errorf("error:\n  %s\nwant lines beginning:\n  %s", strings.Join(lines, "\n  "), strings.Join(tt.errs, "\n  "))
			}
		})
	}
}

// TestLintFindingString is the line hubdb migrate lint prints.
func TestLintFindingString(t *testing.T) {
	fsys := fstest.MapFS{
		"ess/000001_init.up.sql": {Data: []byte("CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v INT NULL);")},
		"ess/000002_v.up.sql": {Data: []byte("ALTER TABLE t MODIFY v BIGINT NULL, COMMENT '" + strings.Repeat("x", 100) + "';\n" +
			"-- hubdb:lint-accept column-null t is tiny\nALTER TABLE t MODIFY v BIGINT NOT NULL;")},
	}
	findings, err := Lint(fsys, "ess", 0)
	if err != nil || len(findings) != 2 {
		t.Fatalf("%v %v", findings, err)
	}
	r, _ := ruleByName(ruleColumnType)
	want := "ess/000002_v.up.sql:1: column-type: v changes type from INT to BIGINT: " + r.Reason + "; fix: " + r.Fix
	if got := findings[0].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if s := findings[0].Statement; !strings.HasPrefix(s, "ALTER TABLE t MODIFY v BIGINT NULL, COMMENT") || !strings.HasSuffix(s, " ...") || len(s) > 104 {
		t.Errorf("statement %q", s)
	}
	if got := findings[1].String(); !strings.HasPrefix(got, "ess/000002_v.up.sql:3: column-null: v changes from NULL to NOT NULL: ") ||
		!strings.HasSuffix(got, " [accepted: t is tiny]") || findings[1].Kind != Rebuild {
		t.Errorf("accepted: %s (%v)", got, findings[1].Kind)
	}
}

func TestLintErrors(t *testing.T) {
	if _, err := Lint(fstest.MapFS{}, "nope", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing database: %v", err)
	}
	fsys := fstest.MapFS{
		"a/000001_x.up.sql":   {Data: []byte("-- hubdb:lint-accept\n")},
		"a/000001_x.down.sql": {Data: []byte("-- hubdb:lint-accept\n")},
		"a/README":            {Data: []byte("x")},
		"b/000001_x.up.sql":   {Data: []byte("ALTER TABLE t FORCE")},
	}
	findings, err := LintAll(fsys, 0)
	if len(findings) != 1 || findings[0].DB != "b" || err == nil || strings.Count(err.Error(), "\n") != 0 ||
		!strings.Contains(err.Error(), "a/000001_x.up.sql:1: hubdb:lint-accept is not followed by a statement") {
		t.Errorf("%v, %v", findings, err)
	}
}

// TestLintTypes: the normalisation of types and the limits of in-place
// changes, for what the proof does not cover.
func TestLintTypes(t *testing.T) {
	tbl := newTable()
	tbl.setDefaults("utf8mb4", "utf8mb4_unicode_ci")
	col := func(def string) *column {
		stmts, _, err := split(def)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseColumn(stmts[0].toks, tbl)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		old, new, rule string
	}{
		{"a INT(11) NOT NULL", "a INTEGER NOT NULL DEFAULT 1 COMMENT 'x'", ""},
		{"a BOOL", "a TINYINT(1) NULL", ""},
		{"a DEC(10)", "a NUMERIC(10,0)", ""},
		{"a DECIMAL", "a DECIMAL(10,0)", ""},
		{"a DOUBLE PRECISION", "a REAL", ""},
		{"a CHARACTER VARYING(10)", "a VARCHAR(20)", ""},
		{"a NATIONAL VARCHAR(10)", "a VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", ""},
		{"a NATIONAL VARCHAR(80)", "a VARCHAR(80) CHARACTER SET utf8mb4", ruleColumnType},
		{"a VARCHAR(10) CHARACTER SET utf8", "a VARCHAR(10) CHARSET utf8mb3", ""},
		{"a CHAR(10)", "a CHAR(10) BINARY", ""},
		{"a CHAR", "a CHAR(1)", ""},
		{"a CHAR(10)", "a CHAR(11)", ruleColumnType},
		{"a VARBINARY(100)", "a VARBINARY(300)", ""},
		{"a VARBINARY(200)", "a VARBINARY(300)", ruleColumnType},
		{"a VARCHAR(10) CHARACTER SET latin1", "a VARCHAR(300) CHARACTER SET latin1", ""},
		{"a VARCHAR(10) CHARACTER SET klingon", "a VARCHAR(300) CHARACTER SET klingon", ruleColumnType},
		{"a DATETIME", "a DATETIME(0) NOT NULL", ruleColumnNull},
		{"a DATETIME", "a DATETIME(3)", ruleColumnType},
		{"a TEXT", "a TEXT COLLATE utf8mb4_bin", ""},
		{"a TEXT UNIQUE", "a TEXT COLLATE utf8mb4_bin", ruleColumnType},
		{"a TEXT CHARACTER SET utf8mb3 KEY", "a TEXT CHARACTER SET utf8mb4", ruleColumnType},
		{"a TEXT CHARACTER SET utf8mb3", "a TEXT CHARACTER SET utf8mb4", ""},
		{"a TEXT", "a TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", ""},
		{"a ENUM('x')", "a ENUM('x','y') CHARACTER SET utf8mb4", ruleColumnType}, // the charset's default collation
		{"a SET('a','b','c','d','e','f','g','h')", "a SET('a','b','c','d','e','f','g','h','i')", ruleColumnType},
		{"a SET('a')", "a SET('a','b')", ""},
		{"a INT", "a INT AUTO_INCREMENT", ruleColumnType},
		{"a INT AS (b + 1) VIRTUAL", "a INT GENERATED ALWAYS AS (b + 2)", ""},
		{"a INT AS (b + 1) STORED", "a INT AS (b + 2) PERSISTENT", ruleColumnType},
		{"a INT AS (b + 1) STORED", "a INT AS (b + 1) STORED", ""},
		{"a INT", "a INT AS (b + 1) VIRTUAL", ruleColumnType},
		{"a INT ZEROFILL", "a INT UNSIGNED ZEROFILL", ""},
		{"a JSON NOT NULL", "a JSON NOT NULL DEFAULT '[]'", ""},
		{"a TIMESTAMP(6) NOT NULL", "a TIMESTAMP(6) NULL", ruleColumnNull},
		{"a INT NOT NULL", "a INT PRIMARY KEY", ""},
	}
	for _, tt := range tests {
		if rule, why := columnChange(col(tt.old), col(tt.new)); rule != tt.rule {
			t.Errorf("%s to %s: %q (%s), want %q", tt.old, tt.new, rule, why, tt.rule)
		}
	}
	if rule, _ := columnChange(nil, col("a INT")); rule != ruleColumnType {
		t.Errorf("an unknown column: %q", rule)
	}
}

// FuzzLint: no input makes the lint panic, and every finding has a rule.
func FuzzLint(f *testing.F) {
	for _, r := range Rules() {
		f.Add(r.Example + ";\n" + r.Counterpart)
	}
	for _, c := range extraCases {
		f.Add(c.setup + ";\n" + c.stmt)
	}
	f.Add("ALTER TABLE meters ADD (a INT, b INT NOT NULL), MODIFY COLUMN IF EXISTS x INT; /*! */ -- x")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{
			"db/000001_init.up.sql": {Data: []byte(init1 + fixture)},
			"db/000002_x.up.sql":    {Data: []byte(src)},
		}
		findings, _ := Lint(fsys, "db", 0)
		for _, f := range findings {
			if _, ok := ruleByName(f.Rule); !ok || f.Line < 1 {
				t.Errorf("%+v", f)
			}
		}
	})
}

// TestLintDocs: the Locking DDL section of docs/schema-conventions.md has a
// row for every rule, with its kind.
func TestLintDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/schema-conventions.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Locking DDL")
	if !ok {
		t.Fatal("docs/schema-conventions.md has no Locking DDL section")
	}
	for _, r := range Rules() {
		if row := "| `" + r.Name + "` | " + r.Kind.String() + " |"; !strings.Contains(section, row) {
			t.Errorf("the Locking DDL section has no row %q", row)
		}
	}
}
