package dbx_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/solarhub/hubdb/dbx"
)

// sessionStatus reads a session status counter of the connection the
// plain call runs on (the tests use a pool of one connection).
func sessionStatus(t *testing.T, d *dbx.DB[dbx.DBTX], name string) int64 {
	t.Helper()
	ctx := context.Background()
	var k string
	var v int64
	if err := d.Queries(ctx).QueryRowContext(ctx, "SHOW SESSION STATUS LIKE '"+name+"'").Scan(&k, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// onePool is a pool of exactly one connection, so every call runs on it.
func onePool() dbx.Pool {
	p := small()
	p.Size, p.Overflow = dbx.Int(1), dbx.Int(0)
	return p
}

// TestStatementCacheReuse: a statement with arguments is prepared once
// per connection (the server's Com_stmt_prepare of that session grows by
// one) and executed as that statement after, in plain calls, Read, Write
// and a transaction with its own statement timeout; the results are right
// each time.
func TestStatementCacheReuse(t *testing.T) {
	t.Parallel()
	srv := server(t)
	m := open(t, oneDB(srv, newSchema(t, srv), onePool()))
	d := raw(t, m, "main")
	ctx := context.Background()
	const q = "SELECT v + ? FROM kv WHERE k = ?"
	before := sessionStatus(t, d, "Com_stmt_prepare")
	const rounds = 5
	for i := range rounds {
		var got int
		if err := d.Queries(ctx).QueryRowContext(ctx, q, i, 1).Scan(&got); err != nil || got != i {
			t.Fatalf("plain call %d: %d, %v; want %d", i, got, err, i)
		}
		err := d.Read(ctx, func(ctx context.Context, x dbx.DBTX) error {
			return x.QueryRowContext(ctx, q, i, 1).Scan(&got)
		})
		if err != nil || got != i {
			t.Fatalf("Read %d: %d, %v", i, got, err)
		}
		err = d.Write(ctx, func(ctx context.Context, x dbx.DBTX) error {
			_, err := x.ExecContext(ctx, "UPDATE kv SET v = v + ? WHERE k = ?", 1, 2)
			return err
		})
		if err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	if got := sessionStatus(t, d, "Com_stmt_prepare") - before; got != 2 {
		t.Errorf("the server prepared %d statements for 2 queries run %d times each on one connection; want 2", got, 3*rounds)
	}
	var v int
	if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 2").Scan(&v); err != nil || v != rounds {
		t.Errorf("k=2: %d, %v; want %d", v, err, rounds)
	}
	st := m.Status()[0].Statements
	if st.Capacity != dbx.DefaultStatementCache || st.Prepares != 2 || st.Hits != 3*rounds-2 || st.Cached != 2 {
		t.Errorf("Statements = %+v; want capacity %d, 2 prepares, %d hits, 2 cached", st, dbx.DefaultStatementCache, 3*rounds-2)
	}

	// A per-transaction statement timeout (MariaDB: SET STATEMENT ... FOR,
	// part of the statement text) is a statement of its own, cached too.
	for range 2 {
		var got int
		err := d.Read(ctx, func(ctx context.Context, x dbx.DBTX) error {
			return x.QueryRowContext(ctx, q, 7, 1).Scan(&got)
		}, dbx.StatementTimeout(5e9))
		if err != nil || got != 7 {
			t.Fatalf("Read with StatementTimeout: %d, %v", got, err)
		}
	}
	if st := m.Status()[0].Statements; st.Prepares != 3 || st.Hits != 3*rounds-2+1 || st.Uncached != 0 {
		t.Errorf("Statements = %+v: want the statement with a timeout prefix prepared once and then hit once", st)
	}
}

// TestStatementCacheEviction: with room for 3 statements per connection,
// 10 distinct statements in turn keep at most 3 prepared; every eviction
// closes its statement on the server (the session's Com_stmt_close).
func TestStatementCacheEviction(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := onePool()
	p.StatementCache = 3
	m := open(t, oneDB(srv, newSchema(t, srv), p))
	d := raw(t, m, "main")
	ctx := context.Background()
	closedBefore := sessionStatus(t, d, "Com_stmt_close")
	const distinct, rounds = 10, 2
	for r := range rounds {
		for i := range distinct {
			var got int
			q := fmt.Sprintf("SELECT v + %d + ? FROM kv WHERE k = 1", i)
			if err := d.Queries(ctx).QueryRowContext(ctx, q, r).Scan(&got); err != nil || got != i+r {
				t.Fatalf("%s: %d, %v", q, got, err)
			}
			if c := m.Status()[0].Statements.Cached; c > 3 {
				t.Fatalf("%d statements cached on one connection, capacity 3", c)
			}
		}
	}
	st := m.Status()[0].Statements
	if st.Prepares != distinct*rounds || st.Evictions != distinct*rounds-3 || st.Cached != 3 {
		t.Errorf("Statements = %+v; want %d prepares, %d evictions, 3 cached", st, distinct*rounds, distinct*rounds-3)
	}
	if got := sessionStatus(t, d, "Com_stmt_close") - closedBefore; got != st.Evictions {
		t.Errorf("the server closed %d statements; dbx evicted %d", got, st.Evictions)
	}
	if s := m.Servers()[0]; s.Statements != 3 || s.StatementLimit <= 0 {
		t.Errorf("server: %d statements of limit %d; want 3 of a positive limit", s.Statements, s.StatementLimit)
	}
}

// TestStatementCacheOff: StatementCache -1 sends every statement as text
// (interpolated): the server prepares nothing.
func TestStatementCacheOff(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := onePool()
	p.StatementCache = -1
	m := open(t, oneDB(srv, newSchema(t, srv), p))
	d := raw(t, m, "main")
	ctx := context.Background()
	before := sessionStatus(t, d, "Com_stmt_prepare")
	for i := range 5 {
		var got int
		if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT v + ? FROM kv WHERE k = ?", i, 1).Scan(&got); err != nil || got != i {
			t.Fatalf("%d, %v", got, err)
		}
	}
	if got := sessionStatus(t, d, "Com_stmt_prepare") - before; got != 0 {
		t.Errorf("the server prepared %d statements with the cache off", got)
	}
	if st := m.Status()[0].Statements; st != (dbx.StatementCacheStats{}) {
		t.Errorf("Statements = %+v with the cache off; want zero", st)
	}
}

// TestStatementCacheSurvivesSchemaChange: a migration between two calls
// (a column added, a type changed, the table dropped and created again)
// leaves the cached statement working: the server re-prepares it, and the
// rows have the new shape.
func TestStatementCacheSurvivesSchemaChange(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	m := open(t, oneDB(srv, schema, onePool()))
	d := raw(t, m, "main")
	adm := admin(t, srv, schema)
	ctx := context.Background()
	const q = "SELECT * FROM kv WHERE k = ?"
	columns := func() []any {
		t.Helper()
		rows, err := d.Queries(ctx).QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if !rows.Next() {
			t.Fatalf("no row: %v", rows.Err())
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return vals
	}
	if got := columns(); len(got) != 2 {
		t.Fatalf("before: %v", got)
	}
	for _, ddl := range []string{
		"ALTER TABLE kv ADD COLUMN w INT NOT NULL DEFAULT 7",
		"ALTER TABLE kv MODIFY v BIGINT NOT NULL",
	} {
		if _, err := adm.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
		if got := columns(); len(got) != 3 || fmt.Sprint(got[2]) != "7" {
			t.Fatalf("after %s: %v; want 3 columns, w = 7", ddl, got)
		}
	}
	for _, ddl := range []string{
		"DROP TABLE kv",
		"CREATE TABLE kv (k INT PRIMARY KEY, v INT NOT NULL, w INT, x INT)",
		"INSERT INTO kv VALUES (1, 5, 6, 8)",
	} {
		if _, err := adm.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	if got := columns(); len(got) != 4 || fmt.Sprint(got[3]) != "8" {
		t.Fatalf("after the table was created again: %v", got)
	}
	if st := m.Status()[0].Statements; st.Prepares != 1 || st.Uncached != 0 {
		t.Errorf("Statements = %+v; want the one statement prepared once, the server re-preparing it", st)
	}
}

// TestStatementCacheReprepares: when the server answers that a cached
// statement needs to be re-prepared (1615) or that it does not know it
// (1243), dbx prepares it again and runs it, once, without an error
// reaching the caller; any other failure of a cached statement drops it
// from the cache and reaches the caller.
func TestStatementCacheReprepares(t *testing.T) {
	t.Parallel()
	srv := server(t)
	m := open(t, oneDB(srv, newSchema(t, srv), onePool()))
	d := raw(t, m, "main")
	ctx := context.Background()
	const q = "SELECT v + ? FROM kv WHERE k = 1"
	run := func(arg int) error {
		var got int
		err := d.Queries(ctx).QueryRowContext(ctx, q, arg).Scan(&got)
		if err == nil && got != arg {
			t.Fatalf("got %d, want %d", got, arg)
		}
		return err
	}
	if err := run(1); err != nil {
		t.Fatal(err)
	}
	for i, number := range []uint16{1615, 1243} {
		if n := dbx.FailCachedStatement(m, "main", q, number); n != 1 {
			t.Fatalf("the statement is cached on %d idle connections, want 1", n)
		}
		if err := run(2); err != nil {
			t.Fatalf("after %d: %v; want it prepared again and run", number, err)
		}
		if st := m.Status()[0].Statements; st.Reprepares != int64(i+1) || st.Prepares != int64(i+2) {
			t.Errorf("after %d: Statements = %+v; want %d re-prepares, %d prepares", number, st, i+1, i+2)
		}
	}
	// Write: the same for Exec inside a transaction.
	const u = "UPDATE kv SET v = v + ? WHERE k = 2"
	write := func() error {
		return d.Write(ctx, func(ctx context.Context, x dbx.DBTX) error {
			_, err := x.ExecContext(ctx, u, 1)
			return err
		})
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	dbx.FailCachedStatement(m, "main", u, 1615)
	if err := write(); err != nil {
		t.Fatalf("Exec after 1615: %v", err)
	}
	var v int
	if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 2").Scan(&v); err != nil || v != 2 {
		t.Errorf("k=2: %d, %v; want 2 (each Write applied once)", v, err)
	}
	// Another server error reaches the caller, and the statement is
	// prepared anew next time.
	dbx.FailCachedStatement(m, "main", q, 1105)
	before := m.Status()[0].Statements
	if err := run(3); err == nil {
		t.Fatal("an injected 1105 did not reach the caller")
	}
	if err := run(4); err != nil {
		t.Fatal(err)
	}
	if st := m.Status()[0].Statements; st.Prepares != before.Prepares+1 || st.Reprepares != before.Reprepares {
		t.Errorf("after 1105: Statements = %+v (before %+v); want one new prepare, no re-prepare", st, before)
	}
}
