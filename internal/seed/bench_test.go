package seed_test

import (
	"context"
	"testing"

	"github.com/solarhub/hubdb/internal/seed"
)

// BenchmarkRun seeds the default demo (50 sites, 500 devices, a day of
// one-minute telemetry) into fresh databases, then runs again to measure
// the reuse path. Run it once:
//
//	HUBDB_TEST_DSN=... go test -run '^$' -bench Run -benchtime 1x ./internal/seed
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		per  int
	}{{"multi-row", 0}, {"single-row", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newFixture(b)
				b.StartTimer()
				rep, err := seed.Run(context.Background(), f.m, seed.Config{RowsPerStatement: bc.per})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				again, err := seed.Run(context.Background(), f.m, seed.Config{})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rep.Created.Rows()), "rows")
				b.ReportMetric(float64(rep.Created.Rows())/rep.Elapsed.Seconds(), "rows/s")
				b.ReportMetric(again.Elapsed.Seconds(), "rerun-s")
				b.StartTimer()
			}
		})
	}
}
