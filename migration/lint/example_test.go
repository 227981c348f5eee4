package lint_test

import (
	"fmt"
	"testing/fstest"

	"github.com/solarhub/hubdb/migration/lint"
)

// Lint reads a database's migrations in version order: the second one
// changes a column's type, which copies the table; the third adds a
// column instantly, and a reviewer accepted its rebuild of the table.
func ExampleLint() {
	fsys := fstest.MapFS{
		"ess/000001_init.up.sql": {Data: []byte(`
CREATE TABLE IF NOT EXISTS battery_states (
    device_id BIGINT NOT NULL PRIMARY KEY,
    soc_pct   INT    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
`)},
		"ess/000002_soc_decimal.up.sql": {Data: []byte(`
ALTER TABLE battery_states MODIFY soc_pct DECIMAL(5,2) NOT NULL;
`)},
		"ess/000003_fault_codes.up.sql": {Data: []byte(`
-- hubdb:lint-accept rebuild-table battery_states has one row per battery: a few thousand
ALTER TABLE battery_states ADD COLUMN fault_codes JSON NOT NULL DEFAULT '[]', FORCE;
`)},
	}
	findings, err := lint.Lint(fsys, "ess", 0)
	if err != nil {
		fmt.Println(err)
	}
	for _, f := range findings {
		fmt.Printf("%s:%d %s (%s) accepted=%v\n", f.File, f.Line, f.Rule, f.Kind, f.Accepted)
	}
	// Output:
	// 000002_soc_decimal.up.sql:2 column-type (lock) accepted=false
	// 000003_fault_codes.up.sql:3 rebuild-table (rebuild) accepted=true
}

// Rules lists the rules, each with a statement it flags.
func ExampleRules() {
	for _, r := range lint.Rules()[:3] {
		fmt.Printf("%s (%s): %s\n", r.Name, r.Kind, r.Example)
	}
	// Output:
	// column-type (lock): ALTER TABLE readings MODIFY value BIGINT NULL
	// column-null (rebuild): ALTER TABLE readings MODIFY value INT NOT NULL
	// primary-key (rebuild): ALTER TABLE raw_events ADD PRIMARY KEY (id)
}
