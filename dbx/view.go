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
