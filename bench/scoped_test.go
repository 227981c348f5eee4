package bench

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/scenario"
)

// scopedN is the burst size of BenchmarkScoped: the design note's largest.
const scopedN = 2000

// loads are the machine states BenchmarkScoped runs in: idle (only the
// benchmark and the server), and beside two CPU-bound loops
// (sh -c 'while :; do :; done', two processes on the 2-core machine, as
// `make test-stress` runs the tests).
var loads = []struct {
	name  string
	loops int
}{{"idle", 0}, {"cpu2", 2}}

// BenchmarkScoped runs the demo's scoped pattern (internal/scenario: N
// requests arrive at once on a pool of 5 + 10 with a 1 s pool timeout;
// each runs a Read, a 100 ms call to a stub HTTP service outside any
// transaction, then a Write) at N=2000 on hubdb and on raw database/sql
// with the same limits, in its own freshly migrated ess database (package
// hubtest's; dropped at the end).
//
// It is named Scoped/N=2000/load=<idle|cpu2> and runs -rounds times, the
// loads interleaved. Each run of a benchmark is one scenario.Run with both
// pools, one after the other on the same stub (the order alternates), b.N
// times; it reports the median wall time of each pool (hubdb-wall-ms,
// raw-wall-ms: first arrival to last request finished) and the requests
// that did not complete (hubdb-failed, raw-failed: pool timeouts and
// errors). Its server is hubtest's (HUBDB_TEST_DSN, else the kit's
// private MariaDB).
func BenchmarkScoped(b *testing.B) {
	b.StopTimer()
	d := hubtest.New(b, "ess")
	srv := d.Server()
	b.Run(fmt.Sprintf("N=%d", scopedN), func(b *testing.B) {
		for r := range max(*rounds, 1) {
			for _, l := range loads {
				b.Run("load="+l.name, func(b *testing.B) {
					stop := cpuLoops(b, l.loops)
					defer stop()
					walls := map[scenario.Impl][]time.Duration{}
					failed := map[scenario.Impl]int{}
					b.StartTimer()
					for i := range b.N {
						impls := []scenario.Impl{scenario.DBX, scenario.Raw}
						if (r+i)%2 == 1 {
							slices.Reverse(impls)
						}
						rep, err := scenario.Run(context.Background(), scenario.Config{
							Server:      srv,
							Schema:      d.Schema("ess"),
							Requests:    []int{scopedN},
							Patterns:    []scenario.Pattern{scenario.Scoped},
							Impls:       impls,
							OverloadFor: -1,
						})
						if err != nil {
							b.Fatal(err)
						}
						for _, res := range rep.Results {
							walls[res.Impl] = append(walls[res.Impl], res.Wall)
							failed[res.Impl] += res.Failed + res.Errors
						}
					}
					b.StopTimer()
					for impl, unit := range map[scenario.Impl]string{scenario.DBX: "hubdb", scenario.Raw: "raw"} {
						w := walls[impl]
						slices.Sort(w)
						if len(w) == 0 {
							b.Fatalf("no %s result", impl)
						}
						b.ReportMetric(float64(w[len(w)/2])/float64(time.Millisecond), unit+"-wall-ms")
						b.ReportMetric(float64(failed[impl]), unit+"-failed")
					}
				})
			}
		}
	})
}

// cpuLoops starts n CPU-bound shell loops and returns the function that
// kills them (by their process, which has no children: the loop is all
// shell builtins).
func cpuLoops(b *testing.B, n int) (stop func()) {
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		cmds = nil
	}
	for range n {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			stop()
			b.Fatalf("starting a CPU-bound loop: %v", err)
		}
		cmds = append(cmds, c)
	}
	return stop
}
