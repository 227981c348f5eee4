package main

// The tracing block: BenchmarkTracing (dbx/dbxotel/bench_test.go) of the
// main module, run from the repository root on the server at
// HUBDB_TEST_DSN, and the "Tracing: dbxotel" section rendered from it.
// It is the last block of bench/last-run.txt, behind a "# tracing:" line.

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// tracingArgs are the go arguments of the tracing block, run in the
// repository root: every variant 6 times (medians shown), each run a fixed
// number of operations so the variants do the same work.
func tracingArgs() []string {
	return []string{"test", "-run", "^$", "-bench", "^BenchmarkTracing$", "-benchtime", "3000x", "-count", "6", "./dbx/dbxotel/"}
}

var (
	// tracingLine is a BenchmarkTracing result.
	tracingLine = regexp.MustCompile(`^BenchmarkTracing/op=([a-z]+)/tracer=([a-z]+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)
)

// tracingInfo is the parsed block: per op and tracer, the samples.
type tracingInfo struct {
	when, took, loadBefore, loadAfter string
	ns, bytes, allocs                 map[string][]float64 // op/tracer
}

func (ti tracingInfo) measured() bool { return len(ti.ns) > 0 }

func parseTracing(block []byte) tracingInfo {
	ti := tracingInfo{ns: map[string][]float64{}, bytes: map[string][]float64{}, allocs: map[string][]float64{}}
	ti.when, ti.took, ti.loadBefore, ti.loadAfter = blockFacts(block)
	for _, line := range strings.Split(string(block), "\n") {
		m := tracingLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		k := m[1] + "/" + m[2]
		add := func(dst map[string][]float64, s string) {
			if v, err := strconv.ParseFloat(s, 64); err == nil {
				dst[k] = append(dst[k], v)
			}
		}
		add(ti.ns, m[3])
		add(ti.bytes, m[4])
		add(ti.allocs, m[5])
	}
	return ti
}

func medianOf(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// tracingTracers are the variants, in the report's order, with what they are.
var tracingTracers = []struct{ name, desc string }{
	{"off", "no `Config.Tracer`: dbx as before tracing"},
	{"noop", "`dbxotel.Tracer` over the API's no-op provider (no SDK set up)"},
	{"never", "the SDK sampling nothing (`NeverSample`)"},
	{"all", "the SDK sampling everything, no exporter (recording spans and attributes)"},
}

func renderTracing(b *strings.Builder, tb tailBlock, ti tracingInfo) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("## Tracing: dbxotel\n\n")
	if !ti.measured() {
		p("Not measured in this run (`go run ./cmd/report -tracing-only` runs it).\n\n")
		return
	}
	p("BenchmarkTracing (`dbx/dbxotel/bench_test.go`): a point read (the generated `GetLatestBatteryReading`, a plain call:\n")
	p("one connection-wait span and one query span when traced) and a Write of one insert (attempt, wait and query spans), on a\n")
	p("test kit copy of ess, run from the repository root (%s, took %s; load average before %s, after %s):\n\n", orDash(ti.when), orDash(ti.took), orDash(ti.loadBefore), orDash(ti.loadAfter))
	p("```sh\n%s\n```\n\n", tb.command())
	p("Medians of the runs; \"vs off\" is the variant's time over tracer=off's at the same op.\n\n")
	p("| op | tracer | what | ns/op | vs off | B/op | allocs/op | runs |\n|---|---|---|---:|---:|---:|---:|---:|\n")
	verdict := ""
	for _, op := range []string{"point", "write"} {
		base, okBase := medianOf(ti.ns[op+"/off"])
		for _, tr := range tracingTracers {
			k := op + "/" + tr.name
			ns, ok := medianOf(ti.ns[k])
			if !ok {
				continue
			}
			vs := "–"
			if okBase && base > 0 {
				vs = fmt.Sprintf("%.3f×", ns/base)
				if op == "point" && tr.name == "noop" {
					met := "met"
					if ns/base > 1.02 {
						met = "not met"
					}
					verdict = fmt.Sprintf("Target ≤ 2 %% per point read with no provider (tracer=noop vs off): **%s** in this run (%+.1f %%).", met, (ns/base-1)*100)
				}
			}
			by, _ := medianOf(ti.bytes[k])
			al, _ := medianOf(ti.allocs[k])
			p("| %s | %s | %s | %.0f | %s | %.0f | %.0f | %d |\n", op, tr.name, tr.desc, ns, vs, by, al, len(ti.ns[k]))
		}
	}
	p("\n")
	if verdict != "" {
		p("%s Differences of a few per cent are within this machine's noise between runs (see the note at the top);\n", verdict)
		p("the allocation counts are exact.\n\n")
	}
}
