package scenario

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/ess"
)

type atomicInt = atomic.Int64

// dbxPool runs the patterns on dbx: Read and Write through the gate.
type dbxPool struct {
	m    *dbx.Manager
	db   *dbx.DB[*ess.Queries]
	top  peakCounter
	idle atomic.Int64
}

func openDBX(ctx context.Context, cfg Config) (*dbxPool, error) {
	p := &dbxPool{}
	overflow := max(cfg.Overflow, 0) // scenario: negative is none
	m, err := dbx.Open(ctx, dbx.Config{
		DBs: []dbx.DBConfig{{Name: dbName, Schema: cfg.Schema, Server: cfg.Server, Pool: dbx.Pool{
			Size: dbx.Int(cfg.Size), Overflow: dbx.Int(overflow), Timeout: cfg.Timeout,
			IdleInTxThreshold: cfg.IdleInTxThreshold,
		}}},
		Logger:  slog.New(slog.DiscardHandler), // the report counts the warnings
		OnEvent: p.onEvent,
	})
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	p.m = m
	if p.db, err = dbx.Bind(m, dbName, func(d dbx.DBTX) *ess.Queries { return ess.New(d) }); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return p, nil
}

// dbName is the logical name of the scenario's database.
const dbName = "ess"

func (p *dbxPool) onEvent(ev dbx.Event) {
	if ev.Kind == dbx.EventIdleInTx {
		p.idle.Add(1)
	}
}

func (p *dbxPool) held(ctx context.Context, device int64, call caller) error {
	return p.db.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		p.top.inc()
		defer p.top.dec()
		st, err := readState(ctx, q, device)
		if err != nil {
			return err
		}
		sp, err := call(ctx, device)
		if err != nil {
			return err
		}
		return writeState(ctx, q, st, sp)
	})
}

func (p *dbxPool) scoped(ctx context.Context, device int64, call caller) error {
	var st ess.GetBatteryStateRow
	err := p.db.Read(ctx, func(ctx context.Context, q *ess.Queries) (err error) {
		p.top.inc()
		defer p.top.dec()
		st, err = readState(ctx, q, device)
		return err
	})
	if err != nil {
		return err
	}
	sp, err := call(ctx, device)
	if err != nil {
		return err
	}
	return p.db.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		p.top.inc()
		defer p.top.dec()
		return writeState(ctx, q, st, sp)
	})
}

func (p *dbxPool) isTimeout(err error) bool { return errors.Is(err, dbx.ErrPoolTimeout) }
func (p *dbxPool) peak() int                { return int(p.top.max.Load()) }
func (p *dbxPool) idleWarnings() int        { return int(p.idle.Load()) }
func (p *dbxPool) close() error             { return p.m.Close() }

// errAcquireTimeout marks a raw acquisition that ran out of time.
var errAcquireTimeout = errors.New("database/sql: no connection within the pool timeout")

// rawPool runs the patterns on database/sql with the same limits: at most
// Size+Overflow open, Size kept idle, each acquisition bounded by a
// context of Timeout on sql.DB.Conn.
type rawPool struct {
	db      *sql.DB
	timeout time.Duration
	top     peakCounter
}

func openRaw(ctx context.Context, cfg Config) (*rawPool, error) {
	db, err := openRawDB(cfg)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(cfg.max())
	db.SetMaxIdleConns(cfg.Size)
	db.SetConnMaxLifetime(dbx.DefaultRecycle)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("scenario: database/sql: %w", err)
	}
	return &rawPool{db: db, timeout: cfg.Timeout}, nil
}

// openRawDB opens database/sql on the scenario's database with the driver
// settings dbx uses (interpolated parameters, parseTime, UTC).
func openRawDB(cfg Config) (*sql.DB, error) {
	c := cfg.Server.Clone()
	c.DBName = cfg.Schema
	c.ParseTime = true
	c.Loc = time.UTC
	c.InterpolateParams = true
	c.Collation = dbx.DefaultCollation
	if c.Timeout == 0 {
		c.Timeout = dbx.DefaultConnectTimeout
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, fmt.Errorf("scenario: database/sql: %w", err)
	}
	return sql.OpenDB(conn), nil
}

// conn checks a connection out, waiting at most the pool timeout.
func (p *rawPool) conn(ctx context.Context) (*sql.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	c, err := p.db.Conn(actx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: %w", errAcquireTimeout, err)
		}
		return nil, err
	}
	return c, nil
}

func (p *rawPool) release(c *sql.Conn) { _ = c.Close() }

// tx runs fn in a transaction on its own connection, like dbx's Read and
// Write: commit on nil, rollback otherwise, connection always returned.
func (p *rawPool) tx(ctx context.Context, readOnly bool, fn func(q *ess.Queries) error) error {
	c, err := p.conn(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	tx, err := c.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return err
	}
	p.top.inc()
	err = fn(ess.New(tx))
	p.top.dec()
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (p *rawPool) held(ctx context.Context, device int64, call caller) error {
	return p.tx(ctx, false, func(q *ess.Queries) error {
		st, err := readState(ctx, q, device)
		if err != nil {
			return err
		}
		sp, err := call(ctx, device)
		if err != nil {
			return err
		}
		return writeState(ctx, q, st, sp)
	})
}

func (p *rawPool) scoped(ctx context.Context, device int64, call caller) error {
	var st ess.GetBatteryStateRow
	err := p.tx(ctx, true, func(q *ess.Queries) (err error) {
		st, err = readState(ctx, q, device)
		return err
	})
	if err != nil {
		return err
	}
	sp, err := call(ctx, device)
	if err != nil {
		return err
	}
	return p.tx(ctx, false, func(q *ess.Queries) error { return writeState(ctx, q, st, sp) })
}

func (p *rawPool) isTimeout(err error) bool { return errors.Is(err, errAcquireTimeout) }
func (p *rawPool) peak() int                { return int(p.top.max.Load()) }
func (p *rawPool) idleWarnings() int        { return -1 }
func (p *rawPool) close() error             { return p.db.Close() }

func openPool(ctx context.Context, cfg Config, impl Impl) (pool, error) {
	if impl == Raw {
		return openRaw(ctx, cfg)
	}
	return openDBX(ctx, cfg)
}
