package faults

import (
	"context"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
)

// BenchmarkBudgetEighteen runs case 1's load (every registry database, 4
// closed-loop workers each, Read and Write) for 5 s three ways and reports
// calls/s: with the server budget (default pools, max_connections 60),
// with pools sized by hand to fit in 50 connections (the budget off, as
// before it existed), and with default pools on a server with room
// (max_connections 1000: nothing constrains them). One iteration is one
// run:
//
//	cd faults && go test -run '^$' -bench BudgetEighteen -benchtime 1x
func BenchmarkBudgetEighteen(b *testing.B) {
	small := budgetServer(b, "--max-connections=60")
	roomy := budgetServer(b, "--max-connections=1000")
	// hand-sized: 50 connections over the databases, no overflow
	per := 50 / len(gen.Names)
	extra := 50 - per*len(gen.Names)
	cases := []struct {
		name   string
		addr   string
		pool   dbx.Pool
		adjust func(*dbx.Config)
	}{
		{"budget", small.Addr(), dbx.Pool{Timeout: 5 * time.Second}, nil},
		{"hand-sized", small.Addr(), dbx.Pool{Timeout: 5 * time.Second}, func(cfg *dbx.Config) {
			cfg.ServerBudget = 1000 // as if there were no budget: the pools alone keep under 50
			for i := range cfg.DBs {
				n := per
				if i < extra {
					n++
				}
				cfg.DBs[i].Pool = dbx.Pool{Size: dbx.Int(n), Overflow: dbx.Int(0)}
			}
		}},
		{"unconstrained", roomy.Addr(), dbx.Pool{Timeout: 5 * time.Second}, nil},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			m, dbs, err := budgetManager(ctx, tc.addr, tc.pool, nil, tc.adjust)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			var calls, errs int64
			var took time.Duration
			for b.Loop() {
				res := closedLoop(dbs, 4, 5*time.Second)
				calls += res.total()
				took += res.Took
				for _, n := range res.Errors {
					errs += n
				}
			}
			b.ReportMetric(float64(calls)/took.Seconds(), "calls/s")
			b.ReportMetric(float64(errs), "errors")
			b.ReportMetric(float64(m.Servers()[0].Steals), "steals")
		})
	}
}
