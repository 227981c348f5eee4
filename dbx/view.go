package dbx

import "context"

// ReadView is a [DB] whose Read hands its function R, a read-only view of
// the queries Q (for generated code, the package's Reader interface, which
// *Queries implements), so that a write inside a read-only transaction is a
// compile error instead of ErrReadOnly at run time. Write, Queries and the
// rest are DB's: plain calls and Write keep the full Q.
type ReadView[Q, R any] struct {
	*DB[Q]
	view func(Q) R
}

// WithReadView returns d with Read handing fn view(q). gen.Open binds
// every database so, with view func(q *ess.Queries) ess.Reader { return q }.
func WithReadView[Q, R any](d *DB[Q], view func(Q) R) *ReadView[Q, R] {
	return &ReadView[Q, R]{DB: d, view: view}
}

// Read runs fn in a read-only transaction, like DB.Read, with the
// read-only view of the queries.
func (v *ReadView[Q, R]) Read(ctx context.Context, fn func(ctx context.Context, q R) error, opts ...TxOption) error {
	return v.DB.Read(ctx, func(ctx context.Context, q Q) error { return fn(ctx, v.view(q)) }, opts...)
}

// Reader returns the read-only view for plain calls (each call its own
// connection, as with Queries). Inside a transaction of the database it
// joins that transaction. A database with replicas and
// Pool.PlainReadsOnReplicas sends the calls to a healthy replica (with a
// causal token in ctx, only to one already known to have its writes);
// otherwise they run on the primary. Unlike Read, a plain call whose
// replica fails is not run again elsewhere: the replica is skipped from
// its next health poll on.
func (v *ReadView[Q, R]) Reader(ctx context.Context) R {
	d := v.DB
	if d.p == nil || d.p.replicas == nil || !d.p.replica.plainReads || d.p.replica.readPrimary || txFrom(ctx, d.p) != nil {
		return v.view(d.Queries(ctx))
	}
	pos := TokenFrom(ctx).position(d.p.name)
	rp, known := d.p.replicas.pick(d.p.replica, pos, nil)
	if rp == nil || (len(pos) > 0 && !known) {
		d.p.replicas.primaryReads.Add(1)
		return v.view(d.poolQ)
	}
	d.p.replicas.replicaReads.Add(1)
	return v.view(d.newQ(rp.dbtx))
}
