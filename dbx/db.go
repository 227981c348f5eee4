package dbx

import (
	"context"
)

// DB is the typed handle of one database: Q is the sqlc Queries type of
// its package (e.g. *ess.Queries). Make one with [Bind]; the generated
// registry (gen.Hub) holds one per database.
type DB[Q any] struct {
	p     *pool
	newQ  func(DBTX) Q
	poolQ Q
	// name and missing are set on a handle made by [NotOpened]: p is nil
	// and every call fails with missing.
	name    string
	missing error
}

// Bind returns the handle of the database name. newQ adapts sqlc's New,
// e.g. func(d dbx.DBTX) *ess.Queries { return ess.New(d) }. An unknown
// name is an error matching [ErrUnknownDB], a known one that m was not
// opened with (see Config.Known) one matching [ErrNotOpened].
func Bind[Q any](m *Manager, name string, newQ func(DBTX) Q) (*DB[Q], error) {
	p, err := m.pool(name)
	if err != nil {
		return nil, err
	}
	return &DB[Q]{p: p, newQ: newQ, poolQ: newQ(p.dbtx)}, nil
}

// NotOpened returns the handle of a database that the registry knows
// (Config.Known) but that m was not opened with (gen.Open with a subset): every Read, Write
// and query through it fails with an error matching [ErrNotOpened] that
// names the databases m has, and its Status is empty. newQ is as for
// [Bind].
func NotOpened[Q any](m *Manager, name string, newQ func(DBTX) Q) *DB[Q] {
	err := m.notOpened(name)
	return &DB[Q]{newQ: newQ, poolQ: newQ(failDBTX{err}), name: name, missing: err}
}

// Name returns the logical database name.
func (d *DB[Q]) Name() string {
	if d.p == nil {
		return d.name
	}
	return d.p.name
}

// Opened reports whether the handle has a pool (false for a handle made
// by [NotOpened]).
func (d *DB[Q]) Opened() bool { return d.p != nil }

// Status returns the pool's status (for a handle made by [NotOpened],
// only DB is set).
func (d *DB[Q]) Status() Status {
	if d.p == nil {
		return Status{DB: d.name}
	}
	return d.p.status()
}

// Queries returns queries for plain calls: joined to the transaction ctx
// carries for this database, if any, otherwise bound to the pool, where
// each call checks a connection out through the gate and back in (for a
// query: when its rows are closed). Even the pool-bound value joins a
// transaction when a call's own ctx carries one.
func (d *DB[Q]) Queries(ctx context.Context) Q {
	if d.p == nil {
		return d.poolQ
	}
	if st := txFrom(ctx, d.p.name); st != nil {
		return d.txQueries(st)
	}
	return d.poolQ
}

func (d *DB[Q]) txQueries(st *txState) Q {
	if q, ok := st.q.(Q); ok {
		return q
	}
	q := d.newQ(st.dbtx)
	st.q = q
	return q
}

// Read runs fn in a read-only transaction (START TRANSACTION READ ONLY):
// a write inside fails with an error matching [ErrReadOnly]. fn gets a ctx
// that carries the transaction, so code called with it joins the
// transaction. Nested in a Read or Write of the same database, Read joins
// the outer transaction. See [DB.Write] for commit, rollback and options.
func (d *DB[Q]) Read(ctx context.Context, fn func(ctx context.Context, q Q) error, opts ...TxOption) error {
	return d.run(ctx, true, fn, opts)
}

// Write runs fn in a read-write transaction. It commits when fn returns
// nil and rolls back when fn returns an error, panics (the panic goes on)
// or ctx ends; the connection always returns to its pool. Nested in a
// Write of the same database it joins the outer transaction; nested in a
// Read it fails with [ErrWriteInRead]. Options: [TxTimeout] (default
// Pool.TxTimeout), [Isolation], [StatementTimeout], [Retry].
func (d *DB[Q]) Write(ctx context.Context, fn func(ctx context.Context, q Q) error, opts ...TxOption) error {
	return d.run(ctx, false, fn, opts)
}

func (d *DB[Q]) run(ctx context.Context, readOnly bool, fn func(context.Context, Q) error, opts []TxOption) error {
	if d.p == nil {
		return d.missing
	}
	if st := txFrom(ctx, d.p.name); st != nil {
		if st.readOnly && !readOnly {
			return &DBError{DB: d.p.name, Op: "write", Err: ErrWriteInRead}
		}
		return fn(ctx, d.txQueries(st))
	}
	site := captureSite()
	o := d.p.txOptions(opts)
	body := func(ctx context.Context, st *txState) error { return fn(ctx, d.txQueries(st)) }
	for attempt := 1; ; attempt++ {
		err := d.p.runTx(ctx, readOnly, o, site, body)
		if err == nil || attempt >= o.attempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		d.p.emit(Event{Kind: EventRetry, Site: site.String(), Attempt: attempt, Err: err})
		if berr := backoff(ctx, o, attempt); berr != nil {
			return err
		}
	}
}
