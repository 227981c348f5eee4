package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/solarhub/hubdb/migration"
)

// parallel is how many databases are migrated at once. The databases are
// independent (each has its own lock), so this only bounds the load put on
// the servers and on this machine.
const parallel = 4

// migrateUp is "hubdb migrate up".
func migrateUp(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target) int {
	return apply(ctx, s, m, targets, m.Up)
}

// migrateDown is "hubdb migrate down": every migration reverted.
func migrateDown(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target, yes bool) int {
	var plans []string
	for _, t := range targets {
		plans = append(plans, t.Name)
	}
	if !confirm(s, yes, "down reverts every migration of "+databases(len(targets))+", dropping their tables and data", plans) {
		return exitError
	}
	return apply(ctx, s, m, targets, m.Down)
}

// migrateSteps is "hubdb migrate steps N".
func migrateSteps(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target, n int, yes bool) int {
	if n < -1 {
		var plans []string
		for _, t := range targets {
			plans = append(plans, fmt.Sprintf("%s (%d steps down)", t.Name, -n))
		}
		if !confirm(s, yes, "steps "+strconv.Itoa(n)+" reverts more than one migration, dropping what they created", plans) {
			return exitError
		}
	}
	return apply(ctx, s, m, targets, func(ctx context.Context, t migration.Target) error {
		return m.Steps(ctx, t, n)
	})
}

// migrateGoto is "hubdb migrate goto V". Going down more than one
// migration needs confirmation; the current versions are read first.
func migrateGoto(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target, v uint, yes bool) int {
	var plans []string
	for _, t := range targets {
		st, err := m.Status(ctx, t)
		if err != nil || !st.Exists {
			continue // goto reports it below
		}
		versions, err := migration.Versions(schemaSource(m), t.Name)
		if err != nil {
			continue
		}
		if down := stepsBetween(versions, v, st.Version); down > 1 {
			plans = append(plans, fmt.Sprintf("%s (%d -> %d, %d steps down)", t.Name, st.Version, v, down))
		}
	}
	if len(plans) > 0 && !confirm(s, yes, fmt.Sprintf("goto %d reverts more than one migration, dropping what they created", v), plans) {
		return exitError
	}
	return apply(ctx, s, m, targets, func(ctx context.Context, t migration.Target) error {
		return m.Goto(ctx, t, v)
	})
}

// migrateForce is "hubdb migrate force V".
func migrateForce(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target, v uint) int {
	return apply(ctx, s, m, targets, func(ctx context.Context, t migration.Target) error {
		return m.Force(ctx, t, v)
	})
}

// databases renders a count of databases: "1 database", "18 databases".
func databases(n int) string {
	if n == 1 {
		return "1 database"
	}
	return strconv.Itoa(n) + " databases"
}

// stepsBetween counts the migrations reverted going from version cur down
// to version to: those above to and at most cur.
func stepsBetween(versions []uint, to, cur uint) int {
	n := 0
	for _, x := range versions {
		if x > to && x <= cur {
			n++
		}
	}
	return n
}

// apply runs op on every target, up to parallel at once, printing one
// progress line per database as it finishes ("[ 3/18] ess  0 -> 2  41ms")
// on stdout and each failure, one line that names the database and the
// fix, on stderr. It returns exitError if any database failed.
func apply(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target,
	op func(context.Context, migration.Target) error) int {
	var (
		mu     sync.Mutex
		done   int
		failed bool
		wg     sync.WaitGroup
		sem    = make(chan struct{}, parallel)
	)
	width := len(strconv.Itoa(len(targets)))
	nameWidth := 0
	for _, t := range targets {
		nameWidth = max(nameWidth, len(t.Name))
	}
	for _, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			before, _ := m.Status(ctx, t) // only for the progress line
			err := op(ctx, t)
			var after migration.Status
			if err == nil {
				after, err = m.Status(ctx, t)
			}
			elapsed := time.Since(start)

			mu.Lock()
			defer mu.Unlock()
			done++
			if err != nil {
				failed = true
				// The migration package's message: one line naming the
				// database and the fix, never the password.
				fmt.Fprintf(s.err, "hubdb: %v\n", err)
				return
			}
			note := ""
			if !before.Exists && after.Exists {
				note = "  (created " + after.Schema + ")"
			}
			fmt.Fprintf(s.out, "[%*d/%d] %-*s %3s -> %-3s %6s%s\n", width, done, len(targets),
				nameWidth, t.Name, version(before), version(after), elapsed.Round(time.Millisecond), note)
		})
	}
	wg.Wait()
	if failed {
		return exitError
	}
	return exitOK
}

// version renders a status's version for progress lines: "-" when the
// database does not exist.
func version(st migration.Status) string {
	if !st.Exists {
		return "-"
	}
	return strconv.FormatUint(uint64(st.Version), 10)
}
