package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/solarhub/hubdb/dbx"
)

// poolSize is the connection limit of every tuned contender: MaxOpen and
// MaxIdle for database/sql (raw tuned, raw prepared, GORM and sqlx all sit
// on such a *sql.DB), Size with no overflow for hubdb. 16 connections
// serve 64 workers on a 2-core server well and keep the shared server's
// connection count low.
const poolSize = 16

// churnSize and churnOverflow are the design note's pool (5 kept open, 10
// more under load) of the raw-5+10 and hubdb-5+10 contenders, which show
// whether a pool redials under steady load (the conns/s metric).
const (
	churnSize     = 5
	churnOverflow = 10
)

// client is one contender: the three workloads on one pool.
type client interface {
	point(ctx context.Context, id int64) error
	readTx(ctx context.Context, id, site int64) error
	writeTx(ctx context.Context, id int64, soc, power float64, now time.Time) error
	close() error
}

// contender names a client and says how to open it on the benchmark
// database.
type contender struct {
	name string
	open func(tb testing.TB, e *env) client
}

var contenders = []contender{
	{"raw-default", openRawDefault},
	{"raw-tuned", openRawTuned},
	{"raw-prepared", openRawPrepared},
	{"hubdb", func(tb testing.TB, e *env) client {
		return openHubdb(tb, e, dbx.Pool{Size: dbx.Int(poolSize), Overflow: dbx.Int(0)})
	}},
	{"hubdb-default", func(tb testing.TB, e *env) client { return openHubdb(tb, e, dbx.Pool{}) }},
	{"raw-5+10", func(tb testing.TB, e *env) client {
		db := tunedDB(tb, e, churnSize+churnOverflow, churnSize)
		return &rawClient{db: db, q: New(db)}
	}},
	{"hubdb-5+10", func(tb testing.TB, e *env) client {
		return openHubdb(tb, e, dbx.Pool{Size: dbx.Int(churnSize), Overflow: dbx.Int(churnOverflow)})
	}},
	{"gorm", openGorm},
	{"sqlx", openSqlx},
}

// rawClient is database/sql used directly, with the sqlc-shaped queries.
type rawClient struct {
	db *sql.DB
	q  *Queries
}

// openRawDefault is database/sql as a newcomer writes it: sql.Open with a
// plain DSN and no pool settings (MaxIdleConns 2, MaxOpenConns unlimited,
// interpolateParams off, so each query with arguments is prepared,
// executed and closed). parseTime=true is the one parameter added: every
// contender scans DATETIME into time.Time, which needs it. The pool is
// opened with sql.OpenDB(mysql.NewConnector(cfg)), which is what
// sql.Open("mysql", dsn) does after parsing the DSN, with the same pool
// defaults; the config keeps env.srv's counting DialFunc, which a DSN
// string cannot carry.
func openRawDefault(tb testing.TB, e *env) client {
	c := e.srv.Clone()
	c.DBName = e.schema
	c.InterpolateParams = false
	c.ParseTime = true
	conn, err := mysql.NewConnector(c)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(conn)
	return &rawClient{db: db, q: New(db)}
}

// tunedDB is the *sql.DB the tuned contenders share the settings of:
// interpolateParams (one round trip per query), parseTime, UTC, and a
// pool of at most maxOpen connections keeping maxIdle (the tuned
// contenders pass poolSize for both, as the driver's README recommends)
// recycled well below wait_timeout.
func tunedDB(tb testing.TB, e *env, maxOpen, maxIdle int) *sql.DB {
	c := e.srv.Clone()
	c.DBName = e.schema
	c.InterpolateParams = true
	c.ParseTime = true
	c.Loc = time.UTC
	conn, err := mysql.NewConnector(c)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(10 * time.Minute)
	return db
}

func openRawTuned(tb testing.TB, e *env) client {
	db := tunedDB(tb, e, poolSize, poolSize)
	return &rawClient{db: db, q: New(db)}
}

func (c *rawClient) point(ctx context.Context, id int64) error {
	r, err := c.q.GetReading(ctx, id)
	return check(r.ID, id, err)
}

func (c *rawClient) tx(ctx context.Context, readOnly bool, fn func(q *Queries) error) error {
	tx, err := c.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return err
	}
	if err := fn(New(tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (c *rawClient) readTx(ctx context.Context, id, site int64) error {
	return c.tx(ctx, true, func(q *Queries) error { return readThree(ctx, q, id, site) })
}

func (c *rawClient) writeTx(ctx context.Context, id int64, soc, power float64, now time.Time) error {
	return c.tx(ctx, false, func(q *Queries) error { return writeTwo(ctx, q, id, soc, power, now) })
}

func (c *rawClient) close() error { return c.db.Close() }

// preparedClient is the fastest hand-tuned raw mode: the raw-tuned
// *sql.DB with every statement prepared once at open and reused
// (QueryRowContext on the statement; tx.StmtContext inside transactions),
// so each query is one binary-protocol round trip on a connection that
// has the statement already (database/sql prepares it again on each new
// connection once). interpolateParams stays on; prepared statements do
// not use it. Same SQL, scanning and checks as rawClient.
type preparedClient struct {
	db                                *sql.DB
	get, list, totals, update, insert *sql.Stmt
}

func openRawPrepared(tb testing.TB, e *env) client {
	c := &preparedClient{db: tunedDB(tb, e, poolSize, poolSize)}
	ctx := context.Background()
	for _, s := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&c.get, GetReadingSQL}, {&c.list, ListSiteReadingsSQL}, {&c.totals, SiteTotalsSQL},
		{&c.update, UpdateReadingSQL}, {&c.insert, InsertEventSQL},
	} {
		st, err := c.db.PrepareContext(ctx, s.query)
		if err != nil {
			_ = c.close()
			tb.Fatal(err)
		}
		*s.stmt = st
	}
	return c
}

// scanReading scans one row of the readings queries as GetReading does.
func scanReading(row interface{ Scan(...any) error }) (Reading, error) {
	var i Reading
	err := row.Scan(&i.ID, &i.SiteID, &i.SocPct, &i.PowerW, &i.UpdatedAt)
	return i, err
}

func (c *preparedClient) point(ctx context.Context, id int64) error {
	r, err := scanReading(c.get.QueryRowContext(ctx, id))
	return check(r.ID, id, err)
}

func (c *preparedClient) tx(ctx context.Context, readOnly bool, fn func(tx *sql.Tx) error) error {
	tx, err := c.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (c *preparedClient) readTx(ctx context.Context, id, site int64) error {
	return c.tx(ctx, true, func(tx *sql.Tx) error {
		r, err := scanReading(tx.StmtContext(ctx, c.get).QueryRowContext(ctx, id))
		if err := check(r.ID, id, err); err != nil {
			return err
		}
		list, err := c.listSite(ctx, tx.StmtContext(ctx, c.list), site)
		if err := check(int64(len(list)), 10, err); err != nil {
			return err
		}
		var t SiteTotals
		err = tx.StmtContext(ctx, c.totals).QueryRowContext(ctx, site).Scan(&t.N, &t.PowerW)
		return check(t.N, Rows/Sites, err)
	})
}

// listSite runs ListSiteReadings on a prepared statement, as the
// sqlc-shaped ListSiteReadings does on a query.
func (c *preparedClient) listSite(ctx context.Context, st *sql.Stmt, site int64) ([]Reading, error) {
	rows, err := st.QueryContext(ctx, site)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []Reading{}
	for rows.Next() {
		i, err := scanReading(rows)
		if err != nil {
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

func (c *preparedClient) writeTx(ctx context.Context, id int64, soc, power float64, now time.Time) error {
	return c.tx(ctx, false, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, c.update).ExecContext(ctx, soc, power, now, id); err != nil {
			return err
		}
		res, err := tx.StmtContext(ctx, c.insert).ExecContext(ctx, id, soc, now)
		if err != nil {
			return err
		}
		_, err = res.LastInsertId()
		return err
	})
}

func (c *preparedClient) close() error {
	for _, st := range []*sql.Stmt{c.get, c.list, c.totals, c.update, c.insert} {
		if st != nil {
			_ = st.Close()
		}
	}
	return c.db.Close()
}

// readThree is the read transaction's body for the sqlc-shaped clients.
func readThree(ctx context.Context, q *Queries, id, site int64) error {
	r, err := q.GetReading(ctx, id)
	if err := check(r.ID, id, err); err != nil {
		return err
	}
	list, err := q.ListSiteReadings(ctx, site)
	if err := check(int64(len(list)), 10, err); err != nil {
		return err
	}
	t, err := q.GetSiteTotals(ctx, site)
	return check(t.N, Rows/Sites, err)
}

// writeTwo is the write transaction's body for the sqlc-shaped clients.
func writeTwo(ctx context.Context, q *Queries, id int64, soc, power float64, now time.Time) error {
	if err := q.UpdateReading(ctx, UpdateReadingParams{SocPct: soc, PowerW: power, UpdatedAt: now, ID: id}); err != nil {
		return err
	}
	_, err := q.InsertEvent(ctx, InsertEventParams{ReadingID: id, SocPct: soc, At: now})
	return err
}

// check turns a wrong result into an error, so no contender is fast by
// doing nothing.
func check(got, want int64, err error) error {
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("got %d, want %d", got, want)
	}
	return nil
}

// hubClient is hubdb: a dbx pool bound to the sqlc-shaped queries, used as
// application code uses gen/<db>: a plain Queries(ctx) call for the point
// read, Read and Write for the transactions.
type hubClient struct {
	m *dbx.Manager
	d *dbx.DB[*Queries]
}

func openHubdb(tb testing.TB, e *env, p dbx.Pool) client {
	m, err := dbx.Open(context.Background(), dbx.Config{
		DBs:    []dbx.DBConfig{{Name: "bench", Schema: e.schema, Server: e.srv, Pool: p}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	d, err := dbx.Bind(m, "bench", func(db dbx.DBTX) *Queries { return New(db) })
	if err != nil {
		_ = m.Close()
		tb.Fatal(err)
	}
	return &hubClient{m: m, d: d}
}

func (c *hubClient) point(ctx context.Context, id int64) error {
	r, err := c.d.Queries(ctx).GetReading(ctx, id)
	return check(r.ID, id, err)
}

func (c *hubClient) readTx(ctx context.Context, id, site int64) error {
	return c.d.Read(ctx, func(ctx context.Context, q *Queries) error { return readThree(ctx, q, id, site) })
}

func (c *hubClient) writeTx(ctx context.Context, id int64, soc, power float64, now time.Time) error {
	return c.d.Write(ctx, func(ctx context.Context, q *Queries) error {
		return writeTwo(ctx, q, id, soc, power, now)
	})
}

func (c *hubClient) close() error { return c.m.Close() }

// gormClient is GORM on the tuned *sql.DB, configured as GORM's
// performance guide suggests (SkipDefaultTransaction, no logging), and
// used idiomatically: Take, Find, Scan, Updates, Create, Transaction.
type gormClient struct {
	sqlDB *sql.DB
	db    *gorm.DB
}

func openGorm(tb testing.TB, e *env) client {
	sqlDB := tunedDB(tb, e, poolSize, poolSize)
	db, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: sqlDB}), &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
	})
	if err != nil {
		_ = sqlDB.Close()
		tb.Fatal(err)
	}
	return &gormClient{sqlDB: sqlDB, db: db}
}

func (c *gormClient) point(ctx context.Context, id int64) error {
	var r Reading
	err := c.db.WithContext(ctx).Take(&r, id).Error
	return check(r.ID, id, err)
}

func (c *gormClient) readTx(ctx context.Context, id, site int64) error {
	return c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Reading
		err := tx.Take(&r, id).Error
		if err := check(r.ID, id, err); err != nil {
			return err
		}
		var list []Reading
		err = tx.Where("site_id = ?", site).Order("id").Limit(10).Find(&list).Error
		if err := check(int64(len(list)), 10, err); err != nil {
			return err
		}
		var t SiteTotals
		err = tx.Model(&Reading{}).Select("COUNT(*) AS n, COALESCE(SUM(power_w), 0) AS power_w").
			Where("site_id = ?", site).Scan(&t).Error
		return check(t.N, Rows/Sites, err)
	}, &sql.TxOptions{ReadOnly: true})
}

func (c *gormClient) writeTx(ctx context.Context, id int64, soc, power float64, now time.Time) error {
	return c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&Reading{ID: id}).
			Updates(map[string]any{"soc_pct": soc, "power_w": power, "updated_at": now}).Error
		if err != nil {
			return err
		}
		return tx.Create(&Event{ReadingID: id, SocPct: soc, At: now}).Error
	})
}

func (c *gormClient) close() error { return c.sqlDB.Close() }

// sqlxClient is sqlx on the tuned *sql.DB: Get, Select, Exec, Beginx.
type sqlxClient struct{ db *sqlx.DB }

func openSqlx(tb testing.TB, e *env) client {
	return &sqlxClient{db: sqlx.NewDb(tunedDB(tb, e, poolSize, poolSize), "mysql")}
}

func (c *sqlxClient) point(ctx context.Context, id int64) error {
	var r Reading
	err := c.db.GetContext(ctx, &r, GetReadingSQL, id)
	return check(r.ID, id, err)
}

func (c *sqlxClient) tx(ctx context.Context, readOnly bool, fn func(tx *sqlx.Tx) error) error {
	tx, err := c.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (c *sqlxClient) readTx(ctx context.Context, id, site int64) error {
	return c.tx(ctx, true, func(tx *sqlx.Tx) error {
		var r Reading
		err := tx.GetContext(ctx, &r, GetReadingSQL, id)
		if err := check(r.ID, id, err); err != nil {
			return err
		}
		var list []Reading
		err = tx.SelectContext(ctx, &list, ListSiteReadingsSQL, site)
		if err := check(int64(len(list)), 10, err); err != nil {
			return err
		}
		var t SiteTotals
		err = tx.GetContext(ctx, &t, SiteTotalsSQL, site)
		return check(t.N, Rows/Sites, err)
	})
}

func (c *sqlxClient) writeTx(ctx context.Context, id int64, soc, power float64, now time.Time) error {
	return c.tx(ctx, false, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, UpdateReadingSQL, soc, power, now, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, InsertEventSQL, id, soc, now)
		return err
	})
}

func (c *sqlxClient) close() error { return c.db.Close() }

// TestEveryContenderDialsThroughTheCounter checks that the dials/s metric
// can see every contender's dials: each one's first operation opens a
// connection through countingDial, and the server's Connections counter
// moves with it. Without it a metric of 0 could mean "not counted".
func TestEveryContenderDialsThroughTheCounter(t *testing.T) {
	if os.Getenv(envDSN) == "" {
		t.Skipf("%s is not set", envDSN)
	}
	e := setup(t)
	for _, k := range contenders {
		t.Run(k.name, func(t *testing.T) {
			before, err := e.counters()
			if err != nil {
				t.Fatal(err)
			}
			cl := k.open(t, e)
			defer cl.close()
			if err := cl.point(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			after, err := e.counters()
			if err != nil {
				t.Fatal(err)
			}
			if after.dials <= before.dials {
				t.Errorf("no dial counted (dials %d -> %d)", before.dials, after.dials)
			}
			if after.server <= before.server {
				t.Errorf("the server's Connections did not move (%d -> %d)", before.server, after.server)
			}
		})
	}
}
