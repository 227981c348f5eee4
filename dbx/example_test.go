package dbx_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// Site stands in for an sqlc Queries type.
type Site struct{ db dbx.DBTX }

func (s *Site) Rename(ctx context.Context, id int64, name string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE site SET name = ? WHERE id = ?", name, id)
	return err
}

func (s *Site) Name(ctx context.Context, id int64) (name string, err error) {
	err = s.db.QueryRowContext(ctx, "SELECT name FROM site WHERE id = ?", id).Scan(&name)
	return name, err
}

func ExampleOpen() {
	server := mysql.NewConfig()
	server.User, server.Addr = "app", "127.0.0.1:3306"
	m, err := dbx.Open(context.Background(), dbx.Config{
		Defaults: dbx.Pool{Size: dbx.Int(10), Overflow: dbx.Int(20), Timeout: 30 * time.Second},
		DBs: []dbx.DBConfig{
			{Name: "site", Server: server},
			{Name: "ess", Server: server, Pool: dbx.Pool{Size: dbx.Int(4)}},
		},
	})
	if err != nil {
		log.Fatal(err) // names the database that failed
	}
	defer m.Close()
	fmt.Println(m.Status())
}

func ExampleDB_Read() {
	var m *dbx.Manager // from dbx.Open; application code uses the generated gen.Hub
	sites, err := dbx.Bind(m, "site", func(db dbx.DBTX) *Site { return &Site{db} })
	if err != nil {
		log.Fatal(err)
	}
	var name string
	err = sites.Read(context.Background(), func(ctx context.Context, q *Site) error {
		name, err = q.Name(ctx, 42)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name)
}

func ExampleDB_Write() {
	var sites *dbx.DB[*Site] // e.g. hub.Site
	ctx := context.Background()
	err := sites.Write(ctx, func(ctx context.Context, q *Site) error {
		if err := q.Rename(ctx, 42, "Roof east"); err != nil {
			return err // rolled back
		}
		return audit(ctx, sites) // joins this transaction through ctx
	})
	if err != nil {
		log.Print(err)
	}
}

// audit is repository code that takes only a ctx: called inside Write it
// runs in that transaction, otherwise on the pool.
func audit(ctx context.Context, sites *dbx.DB[*Site]) error {
	return sites.Queries(ctx).Rename(ctx, 0, "audit")
}

func ExampleRetry() {
	var sites *dbx.DB[*Site]
	err := sites.Write(context.Background(), func(ctx context.Context, q *Site) error {
		return q.Rename(ctx, 42, "Roof west") // safe to run again
	},
		dbx.Retry(3), // on deadlock, lock wait timeout, connection lost before COMMIT
		dbx.TxTimeout(2*time.Second),
		dbx.Isolation(sql.LevelReadCommitted),
		dbx.StatementTimeout(500*time.Millisecond),
	)
	if errors.Is(err, dbx.ErrCommitUnknown) {
		log.Print("check whether the rename happened before trying again")
	}
}

func ExampleDBError() {
	// What Write returns when an INSERT hits a unique key on database "site".
	var err error = &dbx.DBError{DB: "site", Op: "exec", Err: &mysql.MySQLError{
		Number: 1062, Message: "Duplicate entry 'x' for key 'name'",
	}}
	fmt.Println(errors.Is(err, dbx.ErrDuplicateKey), errors.Is(err, dbx.ErrDeadlock))
	var me *mysql.MySQLError
	fmt.Println(errors.As(err, &me), me.Number)
	fmt.Println(err)
	// Output:
	// true false
	// true 1062
	// dbx: site: exec: Error 1062: Duplicate entry 'x' for key 'name'
}

func ExampleStatus() {
	s := dbx.Status{DB: "ess", Size: 2, Overflow: 1, InUse: 3, Open: 3, Waiting: 1}
	fmt.Println(s)
	// Output:
	// ess: size 2 overflow 1: in use 3, idle 0, open 3, waiting 1
}

func ExampleReadValue() {
	var sites *dbx.DB[*Site] // e.g. hub.Site
	name, err := dbx.ReadValue(context.Background(), sites, func(ctx context.Context, q *Site) (string, error) {
		return q.Name(ctx, 42)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name)
}

// A helper that runs its own Write can be called inside another Write: it
// runs in a savepoint, so its failure undoes only its own work, and the
// caller decides whether the whole transaction fails.
func ExampleDB_Write_nested() {
	var sites *dbx.DB[*Site]
	ctx := context.Background()
	renameBoth := func(ctx context.Context, a, b int64) error {
		return sites.Write(ctx, func(ctx context.Context, q *Site) error {
			if err := q.Rename(ctx, a, "A"); err != nil {
				return err
			}
			return q.Rename(ctx, b, "B") // an error here rolls both back to the savepoint
		})
	}
	err := sites.Write(ctx, func(ctx context.Context, q *Site) error {
		if err := q.Rename(ctx, 42, "Roof east"); err != nil {
			return err
		}
		if err := renameBoth(ctx, 1, 2); err != nil {
			log.Printf("renames skipped: %v", err) // carry on: 42 still commits
		}
		return nil
	})
	if err != nil {
		log.Print(err)
	}
}

// Errors match the same conditions on every call path, plain queries
// included, so one mapping serves every handler.
func ExampleDBError_httpStatus() {
	status := func(err error) int {
		switch {
		case err == nil:
			return 200
		case errors.Is(err, dbx.ErrPoolTimeout), errors.Is(err, dbx.ErrServerGone), errors.Is(err, dbx.ErrConnect):
			return 503 // shed load; the database is busy or unreachable
		case errors.Is(err, dbx.ErrTxTimeout), errors.Is(err, dbx.ErrStatementTimeout),
			errors.Is(err, context.DeadlineExceeded):
			return 504
		case errors.Is(err, dbx.ErrDuplicateKey):
			return 409
		}
		return 500
	}
	fmt.Println(status(&dbx.DBError{DB: "ess", Op: "query", Err: &mysql.MySQLError{Number: 1969}}))
	fmt.Println(status(&dbx.DBError{DB: "ess", Op: "exec", Err: &mysql.MySQLError{Number: 1062}}))
	// Output:
	// 504
	// 409
}

// A background job started from a request must not join the request's
// transaction, nor die with the request.
func ExampleDetach() {
	var sites *dbx.DB[*Site]
	_ = sites.Write(context.Background(), func(ctx context.Context, q *Site) error {
		job := dbx.Detach(context.WithoutCancel(ctx))
		go func() { _ = sites.Queries(job).Rename(job, 7, "renamed later") }() // its own connection
		return q.Rename(ctx, 42, "Roof east")
	})
}

// ExamplePool_statementCache shows the statement cache's settings and
// counters: a pool behind a proxy that cannot keep server-side statements
// turns it off, the others keep the default.
func ExamplePool_statementCache() {
	server := mysql.NewConfig()
	server.User, server.Addr = "app", "127.0.0.1:3306"
	m, err := dbx.Open(context.Background(), dbx.Config{
		DBs: []dbx.DBConfig{
			{Name: "ess", Server: server}, // default: 128 statements per connection
			{Name: "weather", Server: server, Pool: dbx.Pool{StatementCache: -1}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for _, st := range m.Status() {
		s := st.Statements
		fmt.Printf("%s: capacity %d, %d cached, %d hits, %d prepares, %d sent as text\n",
			st.DB, s.Capacity, s.Cached, s.Hits, s.Prepares, s.Uncached)
	}
	for _, srv := range m.Servers() {
		fmt.Printf("%s: %d of %d statements prepared\n", srv.Addr, srv.Statements, srv.StatementLimit)
	}
}
