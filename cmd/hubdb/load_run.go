package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
)

// scratchTable is the table load creates, uses and drops in each database.
const scratchTable = "hubdb_load"

// loadDB is one database under load, bound without typed queries.
type loadDB = dbx.DB[dbx.DBTX]

// op is one operation of a workload on db, about row id.
type op func(ctx context.Context, db *loadDB, id int64) error

var workloads = map[string]op{
	"point": func(ctx context.Context, db *loadDB, id int64) error {
		return pointQuery(ctx, db.Queries(ctx), id)
	},
	"read": func(ctx context.Context, db *loadDB, id int64) error {
		return db.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			for i := range int64(3) {
				if err := pointQuery(ctx, q, id+i); err != nil {
					return err
				}
			}
			return nil
		})
	},
	"write": func(ctx context.Context, db *loadDB, id int64) error {
		return db.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			if err := pointQuery(ctx, q, id); err != nil {
				return err
			}
			_, err := q.ExecContext(ctx,
				"UPDATE "+scratchTable+" SET n = n + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = ?", id)
			return err
		})
	},
}

// errNoRow reports a point query that found nothing: the scratch table
// was changed under load.
var errNoRow = errors.New("scratch row missing")

func pointQuery(ctx context.Context, q dbx.DBTX, id int64) error {
	var n int64
	var note string
	err := q.QueryRowContext(ctx, "SELECT n, note FROM "+scratchTable+" WHERE id = ?", id).Scan(&n, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: id %d", errNoRow, id)
	}
	return err
}

// loadStats collects the outcomes of one worker.
type loadStats struct {
	lat  []time.Duration
	errs map[string]int
	seen map[string]string // first message per error kind
}

func (ls *loadStats) fail(err error) {
	k := errorKind(err)
	ls.errs[k]++
	if _, ok := ls.seen[k]; !ok {
		ls.seen[k] = err.Error()
	}
}

// errorKind names the condition of err, matched with errors.Is against
// dbx's errors.
func errorKind(err error) string {
	for _, k := range []struct {
		target error
		name   string
	}{
		{dbx.ErrPoolTimeout, "pool timeout"},
		{dbx.ErrTooManyConnections, "too many connections"},
		{dbx.ErrServerGone, "server gone"},
		{dbx.ErrDeadlock, "deadlock"},
		{dbx.ErrLockWaitTimeout, "lock wait timeout"},
		{dbx.ErrStatementTimeout, "statement timeout"},
		{dbx.ErrCommitUnknown, "commit outcome unknown"},
		{dbx.ErrReadOnly, "write in read-only transaction"},
		{dbx.ErrDuplicateKey, "duplicate key"},
		{dbx.ErrUnknownDB, "unknown database"},
		{dbx.ErrClosed, "pool closed"},
		{errNoRow, "scratch row missing"},
		{context.DeadlineExceeded, "deadline exceeded"},
		{context.Canceled, "canceled"},
	} {
		if errors.Is(err, k.target) {
			return k.name
		}
	}
	return "other"
}

// loadWorkload opens the pools of names, prepares the scratch table, runs
// the workload and prints the report.
func loadWorkload(ctx context.Context, s stdio, cfg *config.Config, names []string, o loadOpts) (err error) {
	dcfg := cfg.DBX()
	dcfg.DBs = slices.DeleteFunc(dcfg.DBs, func(d dbx.DBConfig) bool { return !slices.Contains(names, d.Name) })
	size, overflow := dbx.Int(o.size), dbx.Int(o.overflow) // as SQLAlchemy: overflow 0 is none, -1 unlimited
	dcfg.Defaults.Size, dcfg.Defaults.Overflow, dcfg.Defaults.Timeout = size, overflow, o.timeout
	for i := range dcfg.DBs { // the flags win over the file's per-database settings
		dcfg.DBs[i].Pool.Size, dcfg.DBs[i].Pool.Overflow, dcfg.DBs[i].Pool.Timeout = size, overflow, o.timeout
	}
	var (
		idle atomic.Int64
		held sync.WaitGroup // leases out: plain queries return theirs asynchronously
	)
	dcfg.Logger = discardLogger()
	dcfg.OnEvent = func(ev dbx.Event) {
		switch ev.Kind {
		case dbx.EventIdleInTx:
			idle.Add(1)
		case dbx.EventCheckout:
			held.Add(1)
		case dbx.EventCheckin:
			held.Done()
		}
	}
	m, err := dbx.Open(ctx, dcfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, m.Close()) }()
	dbs := make([]*loadDB, len(names))
	for i, name := range names {
		if dbs[i], err = dbx.Bind(m, name, func(d dbx.DBTX) dbx.DBTX { return d }); err != nil {
			return err
		}
	}
	if err := prepareScratch(ctx, dbs, o.rows); err != nil {
		return err
	}
	if !o.keepTable {
		defer func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			err = errors.Join(err, dropScratch(dctx, dbs))
		}()
	}

	mode := fmt.Sprintf("for %v", o.duration)
	if o.count > 0 {
		mode = fmt.Sprintf("%d operations", o.count)
	}
	fmt.Fprintf(s.out, "hubdb load: %s on %s, concurrency %d, %s; pool size %d overflow %d timeout %v\n",
		o.workload, databases(len(names))+" ("+strings.Join(names, ", ")+")", o.concurrency, mode,
		o.size, o.overflow, o.timeout)
	stats, elapsed := drive(ctx, dbs, workloads[o.workload], o)
	// Every operation has returned; wait (briefly) for the connections of
	// plain queries, checked in by dbx once their rows are closed, so the
	// pools' status shows them back.
	returned := make(chan struct{})
	go func() { held.Wait(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
	}
	printLoad(s, stats, elapsed, idle.Load(), m.Status())
	return nil
}

// drive runs the workers until the duration is over or count operations
// have started (and at most maxOps), and returns their stats.
func drive(ctx context.Context, dbs []*loadDB, fn op, o loadOpts) ([]*loadStats, time.Duration) {
	limit := int64(maxOps)
	if o.count > 0 {
		limit = int64(o.count)
	}
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(o.duration)
	stats := make([]*loadStats, o.concurrency)
	var wg sync.WaitGroup
	for w := range o.concurrency {
		ls := &loadStats{errs: map[string]int{}, seen: map[string]string{}}
		stats[w] = ls
		rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= limit || (o.count == 0 && time.Now().After(deadline)) {
					return
				}
				db := dbs[int(i)%len(dbs)]
				id := 1 + rng.Int64N(int64(o.rows))
				if o.workload == "read" {
					id = 1 + rng.Int64N(int64(max(o.rows-2, 1))) // three consecutive rows
				}
				t := time.Now()
				if err := fn(ctx, db, id); err != nil {
					ls.fail(err)
					continue
				}
				ls.lat = append(ls.lat, time.Since(t))
			}
		})
	}
	wg.Wait()
	return stats, time.Since(start)
}

// printLoad prints throughput, latency, errors and the pools' status.
func printLoad(s stdio, stats []*loadStats, elapsed time.Duration, idle int64, pools dbx.Statuses) {
	var lat []time.Duration
	errs, seen := map[string]int{}, map[string]string{}
	failed := 0
	for _, ls := range stats {
		lat = append(lat, ls.lat...)
		for k, n := range ls.errs {
			errs[k] += n
			failed += n
			if _, ok := seen[k]; !ok {
				seen[k] = ls.seen[k]
			}
		}
	}
	slices.Sort(lat)
	fmt.Fprintf(s.out, "\n%d operations in %v: %.0f/s completed, %d failed\n", len(lat)+failed,
		elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), failed)
	if len(lat) > 0 {
		fmt.Fprintf(s.out, "latency  p50 %v  p90 %v  p99 %v  max %v\n", pct(lat, 0.50), pct(lat, 0.90),
			pct(lat, 0.99), lat[len(lat)-1].Round(time.Microsecond))
	}
	fmt.Fprintf(s.out, "idle-in-transaction warnings: %d\n", idle)
	if failed > 0 {
		fmt.Fprintln(s.out, "\nerrors by type:")
		kinds := make([]string, 0, len(errs))
		for k := range errs {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			fmt.Fprintf(s.out, "  %-22s %7d  e.g. %s\n", k, errs[k], seen[k])
		}
	}
	fmt.Fprintln(s.out, "\npools at the end:")
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DATABASE\tSIZE\tOVERFLOW\tIN USE\tIDLE\tOPEN\tWAITING\tWAITED\tTIMEOUTS\tLEAKS\t")
	for _, st := range pools {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", st.DB, st.Size, max(st.Overflow, 0),
			st.InUse, st.Idle, st.Open, st.Waiting, st.WaitCount, st.Timeouts, st.Leaks)
	}
	_ = tw.Flush()
}

// pct returns the q-quantile of sorted, nearest rank.
func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(float64(len(sorted))*q+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)].Round(time.Microsecond)
}

// prepareScratch creates the scratch table in every database and fills
// it with rows 1..rows (existing rows are kept).
func prepareScratch(ctx context.Context, dbs []*loadDB, rows int) error {
	for _, db := range dbs {
		q := db.Queries(ctx)
		if _, err := q.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+scratchTable+` (
			id BIGINT NOT NULL PRIMARY KEY,
			n BIGINT NOT NULL,
			note VARCHAR(64) NOT NULL,
			updated_at DATETIME(6) NOT NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
		  COMMENT='scratch table of hubdb load; dropped when it ends'`); err != nil {
			return fmt.Errorf("scratch table: %w", err)
		}
		const batch = 1000
		for lo := 1; lo <= rows; lo += batch {
			hi := min(lo+batch-1, rows)
			var b strings.Builder
			b.WriteString("INSERT IGNORE INTO " + scratchTable + " (id, n, note, updated_at) VALUES ")
			for id := lo; id <= hi; id++ {
				if id > lo {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "(%d, 0, 'row %d', UTC_TIMESTAMP(6))", id, id)
			}
			if _, err := q.ExecContext(ctx, b.String()); err != nil {
				return fmt.Errorf("scratch rows: %w", err)
			}
		}
	}
	return nil
}

// dropScratch drops the scratch table of every database.
func dropScratch(ctx context.Context, dbs []*loadDB) error {
	var errs []error
	for _, db := range dbs {
		if _, err := db.Queries(ctx).ExecContext(ctx, "DROP TABLE IF EXISTS "+scratchTable); err != nil {
			errs = append(errs, fmt.Errorf("dropping the scratch table: %w", err))
		}
	}
	return errors.Join(errs...)
}
