package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// kitRunsFile is a saved kit block without its facts header: the four go
// test runs of one measurement (BenchmarkKit and BenchmarkReplay on the
// shared server, then on the private one), each behind its server line.
const kitRunsFile = "testdata/kit-runs.txt"

const kitFactsLine = "# kit: when=2026-12-02T00:40:00Z took=2m31s load-before=1.00/0.50/0.25 load-after=2.00/1.00/0.50\n"

func readKitRuns(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(kitRunsFile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKit(t *testing.T) {
	block := append([]byte(kitFactsLine), readKitRuns(t)...)
	block = append(block, "# kit: server=private settings=version=10.11.19-MariaDB innodb_doublewrite=0\n"...)
	k := parseKit(block)
	if want, _ := time.Parse(time.RFC3339, "2026-12-02T00:40:00Z"); !k.when.Equal(want) || k.took != 151*time.Second {
		t.Errorf("when %v took %v", k.when, k.took)
	}
	if k.load != [2]string{"1.00 0.50 0.25", "2.00 1.00 0.50"} {
		t.Errorf("load %q", k.load)
	}
	if len(k.servers) != 2 {
		t.Fatalf("servers %v, want shared and private", k.servers)
	}
	for _, name := range []string{"shared", "private"} {
		s := k.servers[name]
		if len(s.kit) != 22 || len(s.points) != 22 || len(s.replay) != 4 {
			t.Errorf("%s: %d kit settings (%d points), %d replays; want 22, 22, 4", name, len(s.kit), len(s.points), len(s.replay))
		}
		if len(s.runs) != 2 || !strings.Contains(s.runs[0].cmd, "'^BenchmarkKit$'") || !strings.Contains(s.runs[1].cmd, "'^BenchmarkReplay$'") {
			t.Errorf("%s: runs %v", name, s.runs)
		}
		if got := s.sortedPoints(); got[0] != (kitSetting{"copy", 1, 1, "warm", 0}) ||
			got[1] != (kitSetting{"copy", 1, 1, "cold", 0}) || got[len(got)-1] != (kitSetting{"ahead", 18, 8, "warm", 50}) {
			t.Errorf("%s: order %v", name, got)
		}
	}
	sh := k.servers["shared"]
	if v, ok := sh.figure(kitSetting{"copy", 18, 8, "warm", 0}, "p99-ms"); !ok || v != 3575 {
		t.Errorf("shared copy/18/8/warm/0 p99 = %v, %v; want 3575", v, ok)
	}
	if v, ok := sh.replay["per-statement/18"].get("ms/op"); !ok || v != 203.4 {
		t.Errorf("shared replay per-statement/18 = %v, %v; want 203.4", v, ok)
	}
	if got := k.servers["private"].settings; got != "version=10.11.19-MariaDB innodb_doublewrite=0" {
		t.Errorf("private settings %q", got)
	}
	if sh.settings != "" {
		t.Errorf("shared settings %q, want none", sh.settings)
	}
}

// TestParseKitPlain: a plain go test output belongs to the unnamed server.
func TestParseKitPlain(t *testing.T) {
	out := []byte("goos: linux\n" +
		"BenchmarkKit/way=copy/dbs=1/par=8/templates=warm/hold=0ms-2   1   1.5 drop-p50-ms   8 p50-ms   19.9 p99-ms   200 tests   400 tests/s\n" +
		"BenchmarkReplay/way=one-trip/dbs=18-2   10   31.30 ms/op\n")
	k := parseKit(append([]byte("# kit: from=plain.txt\n"), out...))
	if k.from != "plain.txt" || len(k.servers) != 1 {
		t.Fatalf("from %q, servers %v", k.from, k.servers)
	}
	s := k.servers[""]
	if v, _ := s.figure(kitSetting{"copy", 1, 8, "warm", 0}, "p99-ms"); v != 19.9 {
		t.Errorf("p99 %v", v)
	}
	var b strings.Builder
	renderKit(&b, k)
	md := b.String()
	for _, want := range []string{
		"From the saved output `plain.txt` (`-kit-from`)",
		"### BenchmarkKit, server of the saved output",
		"On the server of the saved output:",
		"- one database ready for a test in < 20 ms (way=copy, dbs=1, templates warm, hold 0; p50 and p99 of the wait): 8 in parallel: p50 8.00 ms, p99 19.9 ms; 1 at a time, for reference: p50 not measured, p99 not measured; **met**\n",
		"8 in parallel: p50 not measured, p99 not measured; 1 at a time, for reference: p50 not measured, p99 not measured; not measured\n",
		"par=1 not measured, par=8 not measured; not measured\n",
		"| one-trip | 18 | 31.3 |\n",
		"| one-trip | 1 | – |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "On the shared server: not measured") {
		t.Errorf("a plain output names no server, so none is missing:\n%s", md)
	}
}

func TestRenderKit(t *testing.T) {
	k := parseKit(append([]byte(kitFactsLine), readKitRuns(t)...))
	var b strings.Builder
	renderKit(&b, k)
	md := b.String()
	for _, want := range []string{
		"## Test databases: hubtest\n\n",
		"```sh\ngo test -run '^$' -bench '^BenchmarkKit$' -benchtime 1x -timeout 30m ./hubtest/\n" +
			"go test -run '^$' -bench '^BenchmarkReplay$' -benchtime 10x ./internal/testdb/\n" +
			"env -u HUBDB_TEST_DSN go test -run '^$' -bench '^BenchmarkKit$' -benchtime 1x -timeout 30m ./hubtest/\n" +
			"env -u HUBDB_TEST_DSN go test -run '^$' -bench '^BenchmarkReplay$' -benchtime 10x ./internal/testdb/\n```\n",
		"Measured 2026-12-02 00:40 UTC in go test runs of their own, which took 2m31s in all",
		"(load average before 1.00 0.50 0.25, after 2.00 1.00 0.50).",
		"### BenchmarkKit, shared server\n\n| way | dbs | parallel | templates | hold | p50 ms | p99 ms | drop p50 ms | tests/s | tests |\n",
		"| copy | 18 | 8 | warm | 0 ms | 500 | 3575 | 501 | 5.60 | 40 |\n",
		"| ahead | 1 | 8 | warm | 50 ms | 0.000711 | 0.00426 | 2.22 | 150 | 200 |\n",
		"| way | dbs | shared server ms/op | private server ms/op |\n|---|---:|---:|---:|\n| one-trip | 1 | 10.6 | 2.53 |\n",
		"Targets (issue 12), measured:\n\nOn the shared server:\n\n",
		"- one database ready for a test in < 20 ms (way=copy, dbs=1, templates warm, hold 0; p50 and p99 of the wait): " +
			"8 in parallel: p50 32.0 ms ✗, p99 124 ms ✗; 1 at a time, for reference: p50 7.60 ms, p99 14.1 ms; **not met**\n",
		"8 in parallel: p50 8.34 ms, p99 25.4 ms ✗; 1 at a time, for reference: p50 2.01 ms, p99 3.37 ms; **not met**\n",
		"- all 18 databases with the templates cold (way=copy, a new schema version, so the first tests build them; no target): " +
			"8 in parallel: p50 1543 ms, p99 2174 ms; 1 at a time: p50 477 ms, p99 477 ms\n",
		"par=1 migrate 548 ms / copy 176 ms = 3.12×, par=8 migrate 3112 ms / copy 500 ms = 6.23×; **met**\n",
		"par=1 migrate 133 ms / copy 35.4 ms = 3.76×, par=8 migrate 595 ms / copy 154 ms = 3.86×; **met**\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q", want)
		}
	}
	if strings.Contains(md, "not measured") {
		t.Errorf("every figure was measured, yet:\n%s", md)
	}
	if i, j := strings.Index(md, "On the shared server"), strings.Index(md, "On the private server"); i < 0 || j < i {
		t.Errorf("targets not per server, shared first")
	}
}

// TestRenderKitMissing: a figure the run lacks is "not measured", and so
// is a verdict that needs it; a server without runs says so.
func TestRenderKitMissing(t *testing.T) {
	runs := readKitRuns(t)
	// The private server's copy/dbs=18/par=8/warm/hold=0 line, and all of the shared server.
	i := bytes.Index(runs, []byte("# kit: server=private"))
	priv := regexp.MustCompile(`(?m)^BenchmarkKit/way=copy/dbs=18/par=8/templates=warm/hold=0ms.*\n`).ReplaceAll(runs[i:], nil)
	k := parseKit(append([]byte(kitFactsLine), priv...))
	var b strings.Builder
	renderKit(&b, k)
	md := b.String()
	for _, want := range []string{
		"- all 18 databases ready for a test in < 200 ms (way=copy, dbs=18, templates warm, hold 0; p50 and p99 of the wait): " +
			"8 in parallel: p50 not measured, p99 not measured; 1 at a time, for reference: p50 35.4 ms, p99 37.0 ms; not measured\n",
		"par=1 migrate 133 ms / copy 35.4 ms = 3.76×, par=8 not measured; not measured\n",
		"On the shared server: not measured.\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "### BenchmarkKit, shared server") || strings.Contains(md, "shared server ms/op") {
		t.Errorf("a table for the server not measured:\n%s", md)
	}

	var none strings.Builder
	renderKit(&none, parseKit(nil))
	if !strings.Contains(none.String(), "**Not measured in this run.** `go run ./cmd/report -kit-only`") {
		t.Errorf("no results:\n%s", none.String())
	}
}

func TestSplitJoinRuns(t *testing.T) {
	mainOut := "# report: when=2026-12-01T22:50:54Z took=6m50s load-before=1/1/1 load-after=2/2/2\nBenchmarkCompare/point/c=1/hubdb/ctx=cancel-2 1 5 ops/s\n"
	ingest := "# ingest: when=2026-12-01T23:48:06Z took=1m8s load-before=1/1/1 load-after=1/1/1 cmd=go test\nBenchmarkIngest/rows=10/way=batch-2 1 5 rows/s\n"
	kit := kitFactsLine + string(readKitRuns(t))
	for _, c := range []struct {
		name  string
		saved string
	}{
		{"ingest then kit", mainOut + ingest + kit},
		{"kit then ingest", mainOut + kit + ingest},
	} {
		m, i, k := splitRun([]byte(c.saved))
		if string(m) != mainOut || string(i) != ingest || string(k) != kit {
			t.Errorf("%s: split into %q, %q, %q", c.name, m, i, k)
		}
	}
	m, i, k := splitRun([]byte(mainOut))
	if string(m) != mainOut || i != nil || k != nil {
		t.Errorf("main only: %q, %q, %q", m, i, k)
	}
	if got := string(joinRuns([]byte(mainOut), []byte(ingest), []byte(kit))); got != mainOut+ingest+kit {
		t.Errorf("join: %q", got)
	}
	if got := string(joinRuns([]byte("a"), nil, []byte("# kit: x\n"))); got != "a\n# kit: x\n" {
		t.Errorf("join without ingest: %q", got)
	}
	if got := string(joinRuns([]byte(mainOut), nil, nil)); got != mainOut {
		t.Errorf("join of nothing: %q", got)
	}
}

// TestReportRoundTrip: a rendered report puts the kit section after the
// ingest section and holds the whole run as its raw output, which -from
// (through rawOutput) splits back into the same blocks.
func TestReportRoundTrip(t *testing.T) {
	mainOut := "# report: when=2026-12-01T22:50:54Z took=6m50s load-before=1/1/1 load-after=2/2/2\n" +
		"cpu: Test CPU\nBenchmarkCompare/point/c=1/hubdb-default/ctx=cancel-2 1 100 ns/op 5000 ops/s\n"
	ingest := "# ingest: when=2026-12-01T23:48:06Z took=1m8s load-before=1/1/1 load-after=1/1/1 cmd=go test\n" +
		"BenchmarkIngest/rows=720000/way=batch-2 1 5 rows/s\n"
	kit := kitFactsLine + string(readKitRuns(t))
	ri, err := parse([]byte(mainOut))
	if err != nil {
		t.Fatal(err)
	}
	ri.ing, ri.kit = parseIngest([]byte(ingest)), parseKit([]byte(kit))
	raw := joinRuns([]byte(mainOut), []byte(ingest), []byte(kit))
	md := render(ri, facts{cpu: ri.cpu, load: [2]string{"1 1 1", "2 2 2"}, kitCmds: kitCommands()}, raw, "hand-written")
	ingAt, kitAt, notesAt := strings.Index(md, "\n## Ingest:"), strings.Index(md, "\n## Test databases: hubtest\n"), strings.Index(md, "\n## Analysis\n")
	if ingAt < 0 || kitAt < ingAt || notesAt < kitAt {
		t.Errorf("sections at ingest %d, kit %d, analysis %d", ingAt, kitAt, notesAt)
	}
	if !strings.Contains(md, "| Kit run | 2026-12-02 00:40 UTC, its own go test runs, whole run 2m31s; load average before 1.00 0.50 0.25, after 2.00 1.00 0.50 |\n") {
		t.Errorf("no kit run in the machine table")
	}
	if !strings.Contains(md, "`-kit=false` skips them; `-kit-only` runs only them") {
		t.Errorf("How to run does not tell the kit flags")
	}
	file := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := os.WriteFile(file, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := rawOutput(file)
	if err != nil {
		t.Fatal(err)
	}
	m, i, k := splitRun(back)
	if string(m) != mainOut || string(i) != ingest || string(k) != kit {
		t.Errorf("raw output split into %q, %q, %q", m, i, k)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"test", "-run", "^$", "-bench", "^BenchmarkKit$", "./hubtest/", "it's"})
	if want := `test -run '^$' -bench '^BenchmarkKit$' ./hubtest/ 'it'\''s'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	env := withoutEnv([]string{"A=1", envDSN + "=root@tcp(127.0.0.1:3306)/", envDSN + "_X=2"}, envDSN)
	if strings.Join(env, " ") != "A=1 "+envDSN+"_X=2" {
		t.Errorf("withoutEnv: %v", env)
	}
}

// TestTracingBlock: the tracing block is cut off a saved run whatever
// precedes it, parsed into medians per op and tracer, and rendered with
// the ratio to tracer=off and the 2 % verdict.
func TestTracingBlock(t *testing.T) {
	block := "# tracing: when=2026-12-02T05:00:00Z took=40s load-before=1.0/1.0/1.0 load-after=2.0/2.0/2.0 cmd=go test\n" +
		"BenchmarkTracing/op=point/tracer=off-2   3000   100000 ns/op   1760 B/op   41 allocs/op\n" +
		"BenchmarkTracing/op=point/tracer=off-2   3000   102000 ns/op   1760 B/op   41 allocs/op\n" +
		"BenchmarkTracing/op=point/tracer=off-2   3000   104000 ns/op   1760 B/op   41 allocs/op\n" +
		"BenchmarkTracing/op=point/tracer=noop-2  3000   105000 ns/op   1984 B/op   48 allocs/op\n" +
		"BenchmarkTracing/op=point/tracer=noop-2  3000   106000 ns/op   1984 B/op   48 allocs/op\n" +
		"BenchmarkTracing/op=point/tracer=noop-2  3000   107000 ns/op   1984 B/op   48 allocs/op\n"
	saved := []byte("# report: when=x\nBenchmarkCompare/a 1 2 ns/op\n# kit: when=y\nBenchmarkKit/x 1 2 ns/op\n" + block)
	rest, blocks := cutTail(saved)
	got := blocks["tracing"]
	if string(got) != block || strings.Contains(string(rest), "# tracing:") {
		t.Fatalf("cutTail: rest %q, block %q", rest, got)
	}
	if back := joinTail(rest, blocks); string(back) != string(saved) {
		t.Errorf("joinTail(cutTail(x)) = %q, want x", back)
	}
	ti := parseTracing(got)
	if n := len(ti.ns["point/off"]); n != 3 || len(ti.ns["point/noop"]) != 3 {
		t.Fatalf("parsed %v", ti.ns)
	}
	var b strings.Builder
	renderTracing(&b, tailBlocks[0], ti)
	out := b.String()
	for _, want := range []string{"| point | off |", "| 102000 | 1.000× |", "| 106000 | 1.039× |", "| 48 |", "**not met** in this run (+3.9 %)"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered tracing section lacks %q:\n%s", want, out)
		}
	}
	var empty strings.Builder
	renderTracing(&empty, tailBlocks[0], parseTracing(nil))
	if !strings.Contains(empty.String(), "Not measured") {
		t.Errorf("an empty block renders %q", empty.String())
	}
}

// TestClusterBlock: BenchmarkCausal's cases and custom metrics become one
// row each with medians, in the order they ran.
func TestClusterBlock(t *testing.T) {
	block := []byte("# cluster: when=2026-12-02T06:00:00Z took=90s load-before=1/1/1 load-after=2/2/2 cmd=x\n" +
		"BenchmarkCausal/read=plain-2    2000   300000 ns/op\n" +
		"BenchmarkCausal/read=causal-2   2000   900000 ns/op   450 wait-p50-us   2100 wait-p99-us\n" +
		"BenchmarkCausal/read=plain-2    2000   320000 ns/op\n" +
		"BenchmarkCausal/read=causal-2   2000   700000 ns/op   350 wait-p50-us   1900 wait-p99-us\n")
	var b strings.Builder
	renderCluster(&b, tailBlocks[1], block)
	out := b.String()
	for _, want := range []string{"| case | ns/op | wait-p50-us | wait-p99-us | runs |", "| read=plain | 310000 | – | – | 2 |",
		"| read=causal | 800000 | 400 | 2000 | 2 |", "HUBDB_TEST_CLUSTER=1 go test"} {
		if !strings.Contains(out, want) {
			t.Errorf("cluster section lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "read=plain"), strings.Index(out, "read=causal"); i > j {
		t.Errorf("rows out of order:\n%s", out)
	}
}
