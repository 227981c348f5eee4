package dbx

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// transaction when a call's own ctx carries one. Use [Detach] for a ctx
// that must not join.
func (d *DB[Q]) Queries(ctx context.Context) Q {
	if d.p == nil {
		return d.poolQ
	}
	if st := txFrom(ctx, d.p); st != nil {
		return d.txQueries(st)
	}
	return d.poolQ
}

// InTx reports whether ctx carries a running transaction of this
// database (of this handle's Manager: another Manager's database of the
// same name does not count).
func (d *DB[Q]) InTx(ctx context.Context) bool {
	return d.p != nil && txFrom(ctx, d.p) != nil
}

func (d *DB[Q]) txQueries(st *txState) Q {
	st.qmu.Lock()
	defer st.qmu.Unlock()
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
// transaction; once Read returns, that ctx carries it no more. Nested in
// a Read or Write of the same database, Read joins the outer transaction
// (no savepoint: it reads). See [DB.Write] for commit, rollback, errors
// and options; [ReadValue] returns a value from fn.
func (d *DB[Q]) Read(ctx context.Context, fn func(ctx context.Context, q Q) error, opts ...TxOption) error {
	return d.run(ctx, true, fn, opts)
}

// Write runs fn in a read-write transaction. It commits when fn returns
// nil and rolls back when fn returns an error, panics (the panic goes on)
// or ctx ends; the connection always returns to its pool.
//
// fn's own error comes back wrapped in a [*DBError] naming the database:
// errors.Is and errors.As find it, == does not. Errors of every statement
// match the Err* conditions; a transaction that ran out of its own
// TxTimeout fails with [ErrTxTimeout], the caller's own deadline with
// context.DeadlineExceeded.
//
// Nested in a Write of the same database (fn's ctx passed on), Write runs
// in a SAVEPOINT: when the inner fn fails, its work is rolled back to the
// savepoint and the error returned to the outer fn, which decides
// (return it to roll everything back, or carry on); options cannot apply
// to a nested call and are an error matching [ErrNestedOption]. Nested in
// a Read it fails with [ErrWriteInRead].
//
// Options: [TxTimeout] (default Pool.TxTimeout), [Isolation],
// [StatementTimeout], [Retry]. [WriteValue] returns a value from fn.
func (d *DB[Q]) Write(ctx context.Context, fn func(ctx context.Context, q Q) error, opts ...TxOption) error {
	return d.run(ctx, false, fn, opts)
}

// Reading is what ReadValue needs of a handle: a *DB[Q], or a
// *ReadView[Q, R] (gen.Hub's handles), whose Read hands fn the read-only
// view R.
type Reading[Q any] interface {
	Read(ctx context.Context, fn func(ctx context.Context, q Q) error, opts ...TxOption) error
}

// Writing is what WriteValue needs of a handle: a *DB[Q] or a
// *ReadView[Q, R].
type Writing[Q any] interface {
	Write(ctx context.Context, fn func(ctx context.Context, q Q) error, opts ...TxOption) error
}

// ReadValue runs fn in a Read transaction of db and returns its value: a
// value out of a transaction without a captured variable.
//
//	soc, err := dbx.ReadValue(ctx, hub.ESS, func(ctx context.Context, q ess.Reader) (float64, error) {
//		r, err := q.GetLatestBatteryReading(ctx, arg)
//		return r.SocPct, err
//	})
//
// When the transaction fails, the value is T's zero value.
func ReadValue[T, Q any](ctx context.Context, db Reading[Q], fn func(ctx context.Context, q Q) (T, error), opts ...TxOption) (T, error) {
	return value(fn, func(f func(context.Context, Q) error) error { return db.Read(ctx, f, opts...) })
}

// WriteValue is [ReadValue] for a Write transaction: the value of the
// attempt that committed (with Retry, an earlier attempt's value is
// dropped).
func WriteValue[T, Q any](ctx context.Context, db Writing[Q], fn func(ctx context.Context, q Q) (T, error), opts ...TxOption) (T, error) {
	return value(fn, func(f func(context.Context, Q) error) error { return db.Write(ctx, f, opts...) })
}

func value[T, Q any](fn func(context.Context, Q) (T, error), run func(func(context.Context, Q) error) error) (T, error) {
	var v T
	err := run(func(ctx context.Context, q Q) error {
		var err error
		v, err = fn(ctx, q)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

func (d *DB[Q]) run(ctx context.Context, readOnly bool, fn func(context.Context, Q) error, opts []TxOption) error {
	if d.p == nil {
		return d.missing
	}
	if st := txFrom(ctx, d.p); st != nil {
		return d.nested(ctx, st, readOnly, fn, opts)
	}
	site := captureSite()
	o := d.p.txOptions(opts)
	body := func(ctx context.Context, st *txState) error { return fn(ctx, d.txQueries(st)) }
	if set := d.p.galera; set != nil {
		return d.p.routeGalera(ctx, set, readOnly, o, site, body)
	}
	if set := d.p.replicas; set != nil {
		if readOnly && !d.p.replica.readPrimary {
			return d.p.routeRead(ctx, set, o, site, body)
		}
		if !readOnly {
			if tok := TokenFrom(ctx); tok != nil {
				o.afterCommit = recordGTID(tok, d.p.name, d.p.flavour == flavourMariaDB)
			}
		}
	}
	return d.p.attempts(ctx, readOnly, o, site, body)
}

// attempts runs a transaction on p, again while Retry allows.
func (p *pool) attempts(ctx context.Context, readOnly bool, o txOptions, site callSite, body func(context.Context, *txState) error) error {
	for attempt := 1; ; attempt++ {
		var err error
		var retry bool
		if p.trace.tx == nil {
			err, retry = p.runTx(ctx, readOnly, o, site, body)
		} else {
			err, retry = p.tracedTx(ctx, readOnly, attempt, o.attempts, func(ctx context.Context) (error, bool) {
				return p.runTx(ctx, readOnly, o, site, body)
			})
		}
		if err == nil || attempt >= o.attempts || !retry || ctx.Err() != nil {
			return err
		}
		p.emit(Event{Kind: EventRetry, Site: site.String(), Attempt: attempt, Err: err})
		if berr := backoff(ctx, o, attempt); berr != nil {
			return err
		}
	}
}

// routeRead runs a Read on a healthy replica of p's database (p is its
// primary): for a ctx carrying a causal token, one that has applied the
// token's writes, or waits for them within Pool.CausalWait; else, or when
// no replica is healthy, on the primary (unless ReplicaReads is
// "replica"). A read whose replica fails under it (lost, shut down, not
// ready) runs again on another replica or the primary: fn may run more
// than once, as with Retry.
func (p *pool) routeRead(ctx context.Context, set *replicaSet, o txOptions, site callSite, body func(context.Context, *txState) error) error {
	s := p.replica
	pos := TokenFrom(ctx).position(p.name)
	var exclude *pool
	for tries := 0; ; tries++ {
		rp, known := set.pick(s, pos, exclude)
		ro := o
		switch {
		case rp == nil && s.readsOnly:
			return &DBError{DB: p.name, Op: "read", Err: fmt.Errorf(
				"%w: none of the %d replicas can serve reads (Pool.ReplicaReads is \"replica\"; Manager.Status says why each is out)",
				ErrNoReplica, len(set.members))}
		case rp == nil:
			set.fallbacks.Add(1)
			if len(pos) > 0 {
				set.causalFallbacks.Add(1)
			}
			rp = p
		case len(pos) > 0 && known:
			set.causalKnown.Add(1)
		case len(pos) > 0:
			ro.beforeBegin = set.causalWaitFor(pos, s.causalWait, rp.flavour == flavourMariaDB)
		}
		err := rp.attempts(ctx, true, ro, site, body)
		switch {
		case errors.Is(err, errCausalTimeout):
			set.causalFallbacks.Add(1)
			set.primaryReads.Add(1)
			return p.attempts(ctx, true, o, site, body)
		case err != nil && rp != p && tries < 2 && ctx.Err() == nil && replicaFailure(err):
			set.markFailed(rp)
			set.rerouted.Add(1)
			exclude = rp
			continue
		}
		if rp == p {
			set.primaryReads.Add(1)
		} else {
			set.replicaReads.Add(1)
		}
		return err
	}
}

// nested runs a Read or Write called with a ctx that carries a
// transaction of the same pool.
func (d *DB[Q]) nested(ctx context.Context, st *txState, readOnly bool, fn func(context.Context, Q) error, opts []TxOption) error {
	op := "write"
	if readOnly {
		op = "read"
	}
	if len(opts) > 0 {
		o := d.p.txOptions(opts)
		return &DBError{DB: d.p.name, Op: op, Err: fmt.Errorf(
			"%w: %s cannot apply to a %s nested in a running transaction (pass them to the outermost call, or use dbx.Detach for a transaction of its own)",
			ErrNestedOption, strings.Join(o.names, ", "), op)}
	}
	if st.readOnly && !readOnly {
		return &DBError{DB: d.p.name, Op: op, Err: ErrWriteInRead}
	}
	if readOnly || st.readOnly {
		return fn(ctx, d.txQueries(st))
	}
	return st.savepoint(ctx, func(ctx context.Context) error { return fn(ctx, d.txQueries(st)) })
}
