package main

// The cluster block: BenchmarkCausal (clustertest/bench_test.go), the cost
// of read-your-writes on replicas and of the replica health poller, on
// private GTID replica sets the benchmark starts.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// causalLine is a BenchmarkCausal result: its name and the value/unit
// pairs after the iteration count.
var causalLine = regexp.MustCompile(`^BenchmarkCausal/(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// benchRow is one sub-benchmark's samples by unit.
type benchRow struct {
	name  string
	units map[string][]float64
	runs  int
}

// parseBenchRows reads the sub-benchmarks of one benchmark, in the order
// they first appear.
func parseBenchRows(block []byte, line *regexp.Regexp) []*benchRow {
	var rows []*benchRow
	byName := map[string]*benchRow{}
	for _, l := range strings.Split(string(block), "\n") {
		m := line.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		r := byName[m[1]]
		if r == nil {
			r = &benchRow{name: m[1], units: map[string][]float64{}}
			byName[m[1]] = r
			rows = append(rows, r)
		}
		r.runs++
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.units[f[i+1]] = append(r.units[f[i+1]], v)
			}
		}
	}
	return rows
}

func renderCluster(b *strings.Builder, tb tailBlock, block []byte) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("## Replicas: read-your-writes and the health poller\n\n")
	rows := parseBenchRows(block, causalLine)
	if len(rows) == 0 {
		p("Not measured in this run (`go run ./cmd/report -cluster-only` runs it).\n\n")
		return
	}
	when, took, lb, la := blockFacts(block)
	p("BenchmarkCausal (`clustertest/bench_test.go`, the package doc says what each case does), on a private primary with two\n")
	p("GTID replicas it starts on loopback (%s, took %s; load average before %s, after %s):\n\n", orDash(when), orDash(took), orDash(lb), orDash(la))
	p("```sh\n%s\n```\n\n", tb.command())
	var units []string
	for _, r := range rows {
		for u := range r.units {
			if u != "ns/op" && !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
	}
	slices.Sort(units)
	p("Medians of the runs.\n\n| case | ns/op |")
	for _, u := range units {
		p(" %s |", u)
	}
	p(" runs |\n|---|---:|")
	for range units {
		p("---:|")
	}
	p("---:|\n")
	for _, r := range rows {
		ns, _ := medianOf(r.units["ns/op"])
		p("| %s | %.0f |", r.name, ns)
		for _, u := range units {
			if v, ok := medianOf(r.units[u]); ok {
				p(" %s |", strconv.FormatFloat(v, 'f', -1, 64))
			} else {
				p(" – |")
			}
		}
		p(" %d |\n", r.runs)
	}
	p("\n")
}
