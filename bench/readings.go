// Package bench compares hubdb's pool manager (package dbx) with raw
// database/sql, GORM, sqlx and sysbench on one MySQL/MariaDB server and
// one table.
//
// The comparison itself is BenchmarkCompare in compare_test.go (the
// contenders are in contenders_test.go, the sysbench contender in
// sysbench_test.go) and BenchmarkScoped in scoped_test.go (the demo's
// scoped pattern at N=2000, from internal/scenario), and BenchmarkIngest
// in ingest_test.go (720,000 battery readings stored three ways: the
// generated batch insert, single-row inserts, LOAD DATA LOCAL INFILE).
// BenchmarkCompare needs HUBDB_TEST_DSN and creates (and drops) its own
// databases, bench_<random> and bench_sb_<random>; BenchmarkScoped and
// BenchmarkIngest take migrated ess databases from the test kit, package
// hubtest (_hubtest_<process>_<n>_ess, dropped at the end of each; on the
// server at HUBDB_TEST_DSN, else on the kit's private MariaDB).
// cmd/report runs the first two in one go test run and BenchmarkIngest in
// another, then the main module's BenchmarkKit and BenchmarkReplay (how
// fast the kit makes a test's databases) on the server at HUBDB_TEST_DSN
// and on the kit's private server, and writes BENCHMARKS.md at the
// repository root.
// This is a separate Go module so that GORM and sqlx never enter hubdb's
// go.mod.
//
// This file holds the table and its queries in the shape sqlc generates
// them (a Queries type over a DBTX), so hubdb and raw database/sql run
// exactly the same query code and differ only in how they get a
// connection or transaction.
package bench

import (
	"context"
	"database/sql"
	"time"
)

// Schema creates the benchmark's two tables in the current database.
var Schema = []string{
	`CREATE TABLE readings (
		id         BIGINT      NOT NULL PRIMARY KEY,
		site_id    BIGINT      NOT NULL,
		soc_pct    DOUBLE      NOT NULL,
		power_w    DOUBLE      NOT NULL,
		updated_at DATETIME(6) NOT NULL,
		KEY readings_site (site_id, id)
	) ENGINE=InnoDB`,
	`CREATE TABLE events (
		id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
		reading_id BIGINT      NOT NULL,
		soc_pct    DOUBLE      NOT NULL,
		at         DATETIME(6) NOT NULL
	) ENGINE=InnoDB`,
}

// Rows and Sites size the seeded readings table: reading i belongs to site
// i % Sites, so each site has Rows/Sites readings.
const (
	Rows  = 2000
	Sites = 100
)

// Reading is one row of readings. The tags serve sqlx (db) and GORM
// (column names follow GORM's naming; autoUpdateTime is off so GORM
// writes only what the statement says).
type Reading struct {
	ID        int64     `db:"id" gorm:"column:id;primaryKey"`
	SiteID    int64     `db:"site_id" gorm:"column:site_id"`
	SocPct    float64   `db:"soc_pct" gorm:"column:soc_pct"`
	PowerW    float64   `db:"power_w" gorm:"column:power_w"`
	UpdatedAt time.Time `db:"updated_at" gorm:"column:updated_at;autoUpdateTime:false"`
}

// TableName tells GORM the table.
func (Reading) TableName() string { return "readings" }

// Event is one row of events, inserted by the write transaction.
type Event struct {
	ID        int64     `db:"id" gorm:"column:id;primaryKey;autoIncrement"`
	ReadingID int64     `db:"reading_id" gorm:"column:reading_id"`
	SocPct    float64   `db:"soc_pct" gorm:"column:soc_pct"`
	At        time.Time `db:"at" gorm:"column:at"`
}

// TableName tells GORM the table.
func (Event) TableName() string { return "events" }

// SiteTotals is the aggregate the read transaction's third query returns.
type SiteTotals struct {
	N      int64   `db:"n" gorm:"column:n"`
	PowerW float64 `db:"power_w" gorm:"column:power_w"`
}

// The statements, shared by raw database/sql, hubdb and sqlx.
const (
	GetReadingSQL       = "SELECT id, site_id, soc_pct, power_w, updated_at FROM readings WHERE id = ?"
	ListSiteReadingsSQL = "SELECT id, site_id, soc_pct, power_w, updated_at FROM readings WHERE site_id = ? ORDER BY id LIMIT 10"
	SiteTotalsSQL       = "SELECT COUNT(*) AS n, COALESCE(SUM(power_w), 0) AS power_w FROM readings WHERE site_id = ?"
	UpdateReadingSQL    = "UPDATE readings SET soc_pct = ?, power_w = ?, updated_at = ? WHERE id = ?"
	InsertEventSQL      = "INSERT INTO events (reading_id, soc_pct, at) VALUES (?, ?, ?)"
)

// DBTX is what Queries runs on, as in sqlc's generated code: *sql.DB,
// *sql.Tx or dbx.DBTX.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries are the benchmark's queries, written as sqlc writes them.
type Queries struct{ db DBTX }

// New returns queries that run on db.
func New(db DBTX) *Queries { return &Queries{db: db} }

// GetReading returns one reading by id.
func (q *Queries) GetReading(ctx context.Context, id int64) (Reading, error) {
	row := q.db.QueryRowContext(ctx, GetReadingSQL, id)
	var i Reading
	err := row.Scan(&i.ID, &i.SiteID, &i.SocPct, &i.PowerW, &i.UpdatedAt)
	return i, err
}

// ListSiteReadings returns a site's first ten readings.
func (q *Queries) ListSiteReadings(ctx context.Context, siteID int64) ([]Reading, error) {
	rows, err := q.db.QueryContext(ctx, ListSiteReadingsSQL, siteID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []Reading{}
	for rows.Next() {
		var i Reading
		if err := rows.Scan(&i.ID, &i.SiteID, &i.SocPct, &i.PowerW, &i.UpdatedAt); err != nil {
			return nil, err
		}
		items = append(items, i)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// GetSiteTotals counts a site's readings and sums their power.
func (q *Queries) GetSiteTotals(ctx context.Context, siteID int64) (SiteTotals, error) {
	row := q.db.QueryRowContext(ctx, SiteTotalsSQL, siteID)
	var i SiteTotals
	err := row.Scan(&i.N, &i.PowerW)
	return i, err
}

// UpdateReadingParams are UpdateReading's arguments.
type UpdateReadingParams struct {
	SocPct    float64
	PowerW    float64
	UpdatedAt time.Time
	ID        int64
}

// UpdateReading sets a reading's values.
func (q *Queries) UpdateReading(ctx context.Context, arg UpdateReadingParams) error {
	_, err := q.db.ExecContext(ctx, UpdateReadingSQL, arg.SocPct, arg.PowerW, arg.UpdatedAt, arg.ID)
	return err
}

// InsertEventParams are InsertEvent's arguments.
type InsertEventParams struct {
	ReadingID int64
	SocPct    float64
	At        time.Time
}

// InsertEvent records an event and returns its id.
func (q *Queries) InsertEvent(ctx context.Context, arg InsertEventParams) (int64, error) {
	res, err := q.db.ExecContext(ctx, InsertEventSQL, arg.ReadingID, arg.SocPct, arg.At)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
