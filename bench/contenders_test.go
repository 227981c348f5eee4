package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
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
// MaxIdle for database/sql (raw tuned, GORM and sqlx all sit on such a
// *sql.DB), Size with no overflow for hubdb. 16 connections serve 64
// workers on a 2-core server well and keep the shared server's
// connection count low.
const poolSize = 16

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
	{"hubdb", func(tb testing.TB, e *env) client {
		return openHubdb(tb, e, dbx.Pool{Size: dbx.Int(poolSize), Overflow: dbx.Int(0)})
	}},
	{"hubdb-default", func(tb testing.TB, e *env) client { return openHubdb(tb, e, dbx.Pool{}) }},
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
// contender scans DATETIME into time.Time, which needs it.
func openRawDefault(tb testing.TB, e *env) client {
	c := e.srv.Clone()
	c.DBName = e.schema
	c.InterpolateParams = false
	c.ParseTime = true
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	return &rawClient{db: db, q: New(db)}
}

// tunedDB is the *sql.DB the tuned contenders share the settings of:
// interpolateParams (one round trip per query), parseTime, UTC, and a
// fixed pool of poolSize connections (MaxIdle = MaxOpen, as the driver's
// README recommends) recycled well below wait_timeout.
func tunedDB(tb testing.TB, e *env) *sql.DB {
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
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(10 * time.Minute)
	return db
}

func openRawTuned(tb testing.TB, e *env) client {
	db := tunedDB(tb, e)
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
	sqlDB := tunedDB(tb, e)
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
	return &sqlxClient{db: sqlx.NewDb(tunedDB(tb, e), "mysql")}
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
