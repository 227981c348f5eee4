package testdb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/schema"
)

// BenchmarkReplay compares the two ways of replaying the templates of all
// the databases into one test's copies: the whole script in one round trip
// (what the kit does) and one round trip per statement. ms/op is one set of
// copies ready (the drop, after each, is not timed).
func BenchmarkReplay(b *testing.B) {
	server := testServerB(b)
	ctx := context.Background()
	e, err := open(ctx, server)
	if err != nil {
		b.Fatal(err)
	}
	defer e.close()
	names, err := schema.Databases(schema.FS)
	if err != nil {
		b.Fatal(err)
	}
	tpls, err := e.templatesOf(ctx, schema.FS, names)
	if err != nil {
		b.Fatal(err)
	}
	for _, way := range []string{"one-trip", "per-statement"} {
		for _, n := range []int{1, len(names)} {
			b.Run(fmt.Sprintf("way=%s/dbs=%d", way, n), func(b *testing.B) {
				var total time.Duration
				for i := 0; i < b.N; i++ {
					s := &Set{Prefix: setPrefix(e.owner, e.sets.Add(1)), Names: names[:n], Schemas: map[string]string{}, e: e}
					var stmts []string
					for j, name := range s.Names {
						s.Schemas[name], _ = copyName(s.Prefix, name)
						var sb strings.Builder
						tpls[j].script(&sb, s.Schemas[name])
						stmts = append(stmts, sb.String())
					}
					t0 := time.Now()
					if way == "one-trip" {
						_, err = e.admin.ExecContext(ctx, "SET foreign_key_checks = 0;\n"+strings.Join(stmts, "")+"SET foreign_key_checks = 1")
					} else {
						err = perStatement(ctx, e, stmts)
					}
					total += time.Since(t0)
					if err != nil {
						b.Fatal(err)
					}
					if err := s.Drop(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(total)/float64(b.N)/float64(time.Millisecond), "ms/op")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// perStatement runs the scripts one statement per round trip on one
// connection (the scripts' statements end with ";\\n", which no CREATE
// TABLE of the templates holds inside).
func perStatement(ctx context.Context, e *Engine, scripts []string) error {
	conn, err := e.admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET foreign_key_checks = 0"); err != nil {
		return err
	}
	for _, sc := range scripts {
		for _, st := range strings.Split(sc, ";\n") {
			if strings.TrimSpace(st) == "" {
				continue
			}
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return err
			}
		}
	}
	_, err = conn.ExecContext(ctx, "SET foreign_key_checks = 1")
	return err
}

func testServerB(b *testing.B) *mysql.Config {
	b.Helper()
	cfg, err := ServerFromEnv(context.Background(), b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}
