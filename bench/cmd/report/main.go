// Command report runs the bench module's BenchmarkCompare and
// BenchmarkScoped in one go test run, then BenchmarkIngest in another, then
// the kit block (the test kit's BenchmarkKit and BenchmarkReplay, from the
// main module), and writes BENCHMARKS.md at the repository root: the exact
// commands, the machine, one table per workload, concurrency and context
// style with absolute numbers (ops/s, latency, client CPU per operation,
// connections opened per second) and ratios to raw tuned and raw prepared
// database/sql, the scoped pattern at N=2000, the ingest of 720,000
// battery readings three ways (rows/s, ratios, peak heap, client CPU), how
// long a test waits for its databases from package hubtest and how long
// their drop takes (three ways, on two servers), and the issues' targets as
// measured, each with a verdict computed from the run.
//
// Run it from the bench module with a server in HUBDB_TEST_DSN
// (BenchmarkCompare needs it; the kit's benchmarks use it as the shared
// server):
//
//	cd bench && HUBDB_TEST_DSN='root@tcp(127.0.0.1:3306)/' go run ./cmd/report
//
// or from the repository root, letting withdb find or start a server:
//
//	go run ./internal/cmd/withdb -- sh -c 'cd bench && go run ./cmd/report'
//
// Before the run it installs Debian's sysbench with apt-get when sysbench
// is missing (as root; -install-sysbench=false skips that; without it the
// sysbench contender is skipped and the report says why).
//
// Flags: -benchtime and -count are passed to go test (with -count > 1
// each figure is the median of the runs); -rounds is the benchmarks'
// interleaved rounds; -out names the file to write; -from parses a saved
// `go test -bench` output (bench/last-run.txt) instead of running.
//
// BenchmarkIngest runs with -benchtime 1x and its own flags:
// -ingest-rounds (default 1: about 70 s on 2 cores, most of it the
// single-row way) and -ingest-rows (smaller smoke runs); -ingest=false
// skips it. Its output is the "# ingest:" block of bench/last-run.txt,
// after the main run (not committed; the report's raw output section holds
// the same text). -ingest-only runs only BenchmarkIngest, replaces that
// block of the -from file (default bench/last-run.txt, or, when it is
// missing, the raw output of the -out file) with the new output and
// renders from it, so the rest of the report keeps its last full run:
//
//	cd bench && go run ./cmd/report -ingest-only
//
// -ingest-from file renders the ingest section from another saved output
// (a plain `go test -bench '^BenchmarkIngest$'` output will do) without
// changing last-run.txt.
//
// The kit block comes last: four go test runs from the repository root
// (about 2.5 minutes on 2 cores), BenchmarkKit and BenchmarkReplay on the
// server at HUBDB_TEST_DSN, then both again with HUBDB_TEST_DSN removed
// from their environment, so that the kit uses its private MariaDB (tuned
// for tests; started, or found running, by the kit):
//
//	go test -run '^$' -bench '^BenchmarkKit$' -benchtime 1x -timeout 30m ./hubtest/
//	go test -run '^$' -bench '^BenchmarkReplay$' -benchtime 10x ./internal/testdb/
//	env -u HUBDB_TEST_DSN go test -run '^$' -bench '^BenchmarkKit$' -benchtime 1x -timeout 30m ./hubtest/
//	env -u HUBDB_TEST_DSN go test -run '^$' -bench '^BenchmarkReplay$' -benchtime 10x ./internal/testdb/
//
// Their output is the "# kit:" block at the end of bench/last-run.txt: a
// header line with its time, duration and load average before and after,
// then each run behind a "# kit: server=<shared|private> took=… cmd=…"
// line, and after each server's runs a "# kit: server=… settings=…" line
// with the server's version and settings, read (never changed) after them.
// -kit=false skips the block; -kit-only runs only it, replaces the kit
// block of the -from file (default bench/last-run.txt, or, when it is
// missing, the raw output of the -out file) and renders from it:
//
//	cd bench && go run ./cmd/report -kit-only
//
// The run's main comparison, every contender's throughput relative to
// raw-prepared per workload, concurrency and context style, is also drawn
// as a chart (internal/chart): docs/bench.svg at the repository root,
// which the report shows; -chart names another file, -chart - none.
// `go run ./cmd/report -from last-run.txt` redraws it from a saved run.
//
// -kit-from file renders the kit section from another saved output without
// changing last-run.txt: a kit block, or a plain go test output of the two
// benchmarks (its results belong to one unnamed server, until a
// "# kit: server=<name>" line names the server of the lines after it).
//
// The hand-written analysis in bench/ANALYSIS.md, if present, is copied
// into the report under "Analysis".
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/chart"
)

const envDSN = "HUBDB_TEST_DSN"

// The names BenchmarkCompare and BenchmarkScoped use; the report lists
// them in this order.
var (
	workloads = []struct{ name, desc string }{
		{"point", "Point read: one `SELECT … WHERE id = ?` by primary key, no transaction (hubdb: a plain `Queries(ctx)` call)."},
		{"readtx", "Read-only transaction with three queries: the row by id, a site's first 10 rows, a COUNT/SUM over the site; `START TRANSACTION READ ONLY` … `COMMIT` (hubdb: `Read`)."},
		{"writetx", "Write transaction: `UPDATE` one row by id and `INSERT` one event, then `COMMIT` (hubdb: `Write`)."},
	}
	concurrencies = []string{"1", "16", "64"}
	ctxStyles     = []string{"cancel", "background"}
	contenders    = []struct{ name, desc string }{
		{"raw-default", "database/sql as `sql.Open` with a plain DSN (plus `parseTime=true`, needed to scan DATETIME) opens it (`sql.OpenDB(mysql.NewConnector(cfg))`, so that the dial counter sees it): driver and pool defaults, i.e. MaxIdleConns 2, MaxOpenConns unlimited, interpolateParams off (each query with arguments is prepared, executed and closed)."},
		{"raw-tuned", "database/sql tuned: `interpolateParams=true`, `parseTime`, UTC, MaxOpen = MaxIdle = 16, ConnMaxLifetime 30 min; no extra round trips (no isolation SET, no ping)."},
		{"raw-prepared", "the fastest hand-tuned raw mode: the raw-tuned `*sql.DB` with every statement prepared once with `db.PrepareContext` at open and reused (`stmt.QueryRowContext` for the point read, `tx.StmtContext(ctx, stmt)` in transactions): one binary-protocol round trip per query, same SQL, scanning and checks."},
		{"hubdb", "hubdb's `dbx` with `Pool{Size: dbx.Int(16), Overflow: dbx.Int(0)}` (same 16 connections as raw tuned), through a sqlc-shaped `Queries` bound with `dbx.Bind`: plain `Queries(ctx)` call, `Read`, `Write`. Pre-ping, FIFO gate, statement cache, leak and idle-in-transaction timers all on, as shipped."},
		{"hubdb-default", "hubdb with its defaults (`Pool{}`: size 10, overflow 20, so up to 30 open and 10 kept idle; everything else as shipped). **This is the \"hubdb\" of the targets below.**"},
		{"raw-5+10", "database/sql on the tuned DSN with the design note's pool: MaxOpenConns 15, MaxIdleConns 5."},
		{"hubdb-5+10", "hubdb with the design note's pool: `Pool{Size: dbx.Int(5), Overflow: dbx.Int(10)}`."},
		{"gorm", "GORM " + "(gorm.io/gorm + gorm.io/driver/mysql) on the raw-tuned `*sql.DB`, `SkipDefaultTransaction`, silent logger; `Take`, `Find`, `Scan`, `Updates(map)`, `Create`, `Transaction`."},
		{"sqlx", "sqlx on the raw-tuned `*sql.DB`: `GetContext`, `SelectContext`, `ExecContext`, `BeginTxx`."},
		{"sysbench", "point read only: `sysbench oltp_point_select` (Debian's sysbench, C and LuaJIT on libmariadb, server-side prepared statements, one connection per thread, no pool) on its own database `bench_sb_<random>` of the same server with `--tables=1 --table-size=2000`, `--threads=c`, `--time` = -benchtime rounded up to whole seconds (at least 1). Its ops/s is queries per second (each event runs its default 10 point selects); its CPU µs/op is the sysbench process's user+sys time (from the child's rusage) per query. It has no context style: the same figure is shown under both. `make bench` installs it with apt-get when missing."},
	}
)

// result is one benchmark's figures: for each unit, the median over the
// runs that reported it (-count runs × -rounds).
type result struct {
	vals map[string]float64
	runs int
}

// get returns the median of unit, and whether any run reported it.
func (r result) get(unit string) (float64, bool) {
	v, ok := r.vals[unit]
	return v, ok
}

func main() {
	var o options
	flag.StringVar(&o.benchtime, "benchtime", "500ms", "go test -benchtime (sysbench runs it rounded up to whole seconds, at least 1 s)")
	flag.IntVar(&o.count, "count", 1, "go test -count; figures are medians over all runs")
	flag.IntVar(&o.rounds, "rounds", 3, "BenchmarkCompare and BenchmarkScoped -rounds: every setting's contenders run this many times, interleaved; figures are medians")
	flag.StringVar(&o.out, "out", "", "file to write (default BENCHMARKS.md at the repository root)")
	flag.StringVar(&o.from, "from", "", "parse this saved go test -bench output instead of running the benchmarks")
	flag.BoolVar(&o.install, "install-sysbench", true, "install Debian's sysbench with apt-get when it is missing (needs root)")
	flag.BoolVar(&o.ingest, "ingest", true, "also run BenchmarkIngest (after the others, in its own go test run)")
	flag.IntVar(&o.ingestRounds, "ingest-rounds", 1, "BenchmarkIngest -ingest-rounds: the three ways run this many times, interleaved; figures are medians")
	flag.IntVar(&o.ingestRows, "ingest-rows", 0, "BenchmarkIngest -ingest-rows: rows per way (0: the benchmark's 720,000)")
	flag.StringVar(&o.ingestFrom, "ingest-from", "", "take the ingest results from this saved go test -bench output (of BenchmarkIngest) instead of running it or reading them from -from")
	flag.BoolVar(&o.ingestOnly, "ingest-only", false, "run only BenchmarkIngest, replace the ingest block of the -from file (default bench/last-run.txt) with its output, and render from it")
	flag.BoolVar(&o.kit, "kit", true, "also run the kit block (after the ingest): BenchmarkKit and BenchmarkReplay of the main module, on the server at HUBDB_TEST_DSN and on the kit's private server")
	flag.StringVar(&o.kitFrom, "kit-from", "", "take the kit results from this saved output (a kit block, or a plain go test -bench output of BenchmarkKit and BenchmarkReplay) instead of running them or reading them from -from")
	flag.BoolVar(&o.kitOnly, "kit-only", false, "run only the kit block, replace the kit block of the -from file (default bench/last-run.txt) with its output, and render from it")
	flag.StringVar(&o.chart, "chart", "", "SVG file of the throughput chart (default docs/bench.svg at the repository root; - for none)")
	o.tail = registerTailFlags()
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	benchtime, out, from string
	count, rounds        int
	install              bool
	ingest, ingestOnly   bool
	ingestRounds         int
	ingestRows           int
	ingestFrom           string
	kit, kitOnly         bool
	kitFrom              string
	tail                 tailFlags
	chart                string
}

func run(o options) error {
	modDir, err := benchModuleDir()
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = filepath.Join(modDir, "..", "BENCHMARKS.md")
	}
	lastRun := filepath.Join(modDir, "last-run.txt")
	if o.ingestOnly {
		if o.ingestFrom != "" {
			return errors.New("-ingest-only runs the ingest benchmark: it cannot take -ingest-from")
		}
		if o.from == "" {
			o.from = lastRun
		}
	}
	if o.kitOnly {
		if o.kitFrom != "" {
			return errors.New("-kit-only runs the kit benchmarks: it cannot take -kit-from")
		}
		if o.from == "" {
			o.from = lastRun
		}
	}
	tailOnly := o.tail.anyOnly()
	if tailOnly && o.from == "" {
		o.from = lastRun
	}
	only := o.ingestOnly || o.kitOnly || tailOnly
	testArgs := []string{"test", "-run", "^$", "-bench", "^Benchmark(Compare|Scoped)$",
		"-benchtime", o.benchtime, "-count", strconv.Itoa(o.count), "-timeout", "60m", ".",
		"-rounds", strconv.Itoa(o.rounds)}
	ingestArgs := []string{"test", "-run", "^$", "-bench", "^BenchmarkIngest$",
		"-benchtime", "1x", "-timeout", "60m", ".", "-ingest-rounds", strconv.Itoa(max(o.ingestRounds, 1))}
	if o.ingestRows > 0 {
		ingestArgs = append(ingestArgs, "-ingest-rows", strconv.Itoa(o.ingestRows))
	}
	needServer := o.from == "" || only
	if needServer && os.Getenv(envDSN) == "" {
		return fmt.Errorf("%s is not set: run `make bench`, or set %s='root@tcp(127.0.0.1:3306)/'", envDSN, envDSN)
	}
	var output, ingestOut, kitOut []byte
	load := [2]string{loadavg(), ""}
	start := time.Now()
	if o.from != "" {
		output, err = os.ReadFile(o.from)
		if errors.Is(err, os.ErrNotExist) && only && o.from == lastRun {
			// last-run.txt is not committed: take the run from the report's raw output.
			if output, err = rawOutput(o.out); err == nil {
				fmt.Fprintf(os.Stderr, "report: no %s: using the raw output of %s\n", lastRun, o.out)
			}
		}
		if err != nil {
			return err
		}
	} else {
		sbNote := ensureSysbench(o.install)
		var buf bytes.Buffer
		if err := goTest(modDir, testArgs, &buf); err != nil {
			return err
		}
		load[1] = loadavg()
		// The run's facts go first, so -from can re-render it faithfully.
		header := fmt.Sprintf("# report: when=%s took=%s load-before=%s load-after=%s\n",
			start.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second),
			strings.ReplaceAll(load[0], " ", "/"), strings.ReplaceAll(load[1], " ", "/"))
		header += "# report: sysbench=" + sbNote + "\n"
		output = append([]byte(header), buf.Bytes()...)
		// Saved now, so a failing ingest run does not lose it.
		if err := os.WriteFile(lastRun, output, 0o644); err != nil {
			return err
		}
	}
	tookRun := time.Since(start)
	output, fileTail := cutTail(output)
	mainOut, fileIngest, fileKit := splitRun(output)
	switch {
	case o.ingestFrom != "":
		if ingestOut, err = os.ReadFile(o.ingestFrom); err != nil {
			return err
		}
		if !ingestHeader.Match(ingestOut) { // a plain go test output
			ingestOut = append([]byte("# ingest: from="+filepath.Base(o.ingestFrom)+"\n"), ingestOut...)
		}
	case !tailOnly && (o.ingestOnly || (o.from == "" && o.ingest)):
		if ingestOut, err = runIngest(modDir, ingestArgs); err != nil {
			return err
		}
	default:
		ingestOut = fileIngest
	}
	// What this run measured, saved as soon as it is: a failing kit run
	// does not lose the ingest block.
	ranIngest := o.ingestFrom == "" && (o.ingestOnly || (o.from == "" && o.ingest))
	if o.from == "" && ranIngest {
		if err := os.WriteFile(lastRun, joinRuns(mainOut, ingestOut), 0o644); err != nil {
			return err
		}
	}
	ranKit := false
	switch {
	case o.kitFrom != "":
		if kitOut, err = os.ReadFile(o.kitFrom); err != nil {
			return err
		}
		if !kitFacts.Match(kitOut) { // a plain go test output, or one without the facts
			kitOut = append([]byte("# kit: from="+filepath.Base(o.kitFrom)+"\n"), kitOut...)
		}
	case !tailOnly && (o.kitOnly || (o.from == "" && o.kit)):
		if kitOut, err = runKit(filepath.Dir(modDir)); err != nil {
			if o.from == "" {
				err = fmt.Errorf("%w (the other runs are saved in %s: `go run ./cmd/report -kit-only` runs the kit block again)", err, lastRun)
			}
			return err
		}
		ranKit = true
	default:
		kitOut = fileKit
	}
	switch {
	case o.from == "" && ranKit:
		saved := ingestOut
		if !ranIngest {
			saved = nil
		}
		if err := os.WriteFile(lastRun, joinRuns(mainOut, saved, kitOut), 0o644); err != nil {
			return err
		}
	case only:
		// Only the blocks this run measured change; the others stay as the file has them.
		ing, kit := fileIngest, fileKit
		if o.ingestOnly {
			ing = ingestOut
		}
		if o.kitOnly {
			kit = kitOut
		}
		if err := os.WriteFile(o.from, joinRuns(mainOut, ing, kit), 0o644); err != nil {
			return err
		}
		var blocks []string
		for _, tb := range tailBlocks {
			if o.tail.isOnly(tb.name) {
				blocks = append(blocks, tb.name)
			}
		}
		if o.ingestOnly {
			blocks = append(blocks, "ingest")
		}
		if o.kitOnly {
			blocks = append(blocks, "kit")
		}
		fmt.Fprintf(os.Stderr, "report: replaced the %s block of %s\n", strings.Join(blocks, " and "), o.from)
	}
	if m := headerLine.FindStringSubmatch(string(mainOut)); m != nil {
		if t, err := time.Parse(time.RFC3339, m[1]); err == nil {
			start = t
		}
		if d, err := time.ParseDuration(m[2]); err == nil {
			tookRun = d
		}
		load = [2]string{strings.ReplaceAll(m[3], "/", " "), strings.ReplaceAll(m[4], "/", " ")}
	}
	runInfo, err := parse(mainOut)
	if err != nil {
		return err
	}
	if len(ingestOut) > 0 {
		runInfo.ing = parseIngest(ingestOut)
	} else { // BenchmarkIngest lines run with the others, if any
		runInfo.ing = parseIngest(mainOut)
	}
	runInfo.kit = parseKit(kitOut)
	tailOut := fileTail
	for _, tb := range tailBlocks {
		if !(o.tail.isOnly(tb.name) || (o.from == "" && !tailOnly && o.tail.isRun(tb.name))) {
			continue
		}
		out, err := runTail(filepath.Dir(modDir), tb)
		if err != nil {
			return err
		}
		tailOut[tb.name] = out
		saved := lastRun
		if only {
			saved = o.from
		}
		cur, err := os.ReadFile(saved)
		if err != nil {
			return err
		}
		cur, _ = cutTail(cur)
		if err := os.WriteFile(saved, joinTail(cur, tailOut), 0o644); err != nil {
			return err
		}
	}
	runInfo.tail = tailOut
	chartFile := chartPath(o.chart, modDir)
	var svg []byte
	if chartFile != "" {
		if svg, err = benchChart(runInfo); err != nil {
			fmt.Fprintf(os.Stderr, "report: no chart: %v\n", err)
			chartFile = ""
		}
	}
	md := render(runInfo, facts{
		cpu: runInfo.cpu, goVersion: goVersion(), server: serverVersion(), load: load,
		when: start.UTC(), took: tookRun, benchtime: o.benchtime, count: o.count, rounds: o.rounds,
		testCmd: "go " + strings.Join(testArgs, " "), ingestCmd: "go " + strings.Join(ingestArgs, " "),
		kitCmds: kitCommands(), parsed: o.from, chart: chartLink(o.out, chartFile),
	}, joinTail(joinRuns(mainOut, ingestOut, kitOut), tailOut), analysis(modDir))
	if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s\n", o.out)
	if chartFile != "" {
		if err := chart.WriteFile(chartFile, svg); err != nil {
			return fmt.Errorf("the throughput chart: %w", err)
		}
		fmt.Fprintf(os.Stderr, "report: wrote %s\n", chartFile)
	}
	return nil
}

// rawOutput returns the go test output a rendered report holds in its
// "Raw output" section.
func rawOutput(report string) ([]byte, error) {
	b, err := os.ReadFile(report)
	if err != nil {
		return nil, err
	}
	const open, end = "<details><summary>go test output</summary>\n\n```\n", "\n```\n\n</details>"
	i := bytes.LastIndex(b, []byte(open))
	if i < 0 {
		return nil, fmt.Errorf("%s has no raw output section", report)
	}
	raw := b[i+len(open):]
	j := bytes.LastIndex(raw, []byte(end))
	if j < 0 {
		return nil, fmt.Errorf("%s: the raw output section does not end", report)
	}
	return append(raw[:j:j], '\n'), nil
}

// goTest runs go with args in the bench module, its output into w and
// stderr.
func goTest(modDir string, args []string, w io.Writer) error {
	return goTestIn(modDir, nil, args, w)
}

// goTestIn runs go with args in dir, with env (nil: the report's own), its
// output into w and stderr.
func goTestIn(dir string, env, args []string, w io.Writer) error {
	fmt.Fprintf(os.Stderr, "report: (in %s) go %s\n", dir, strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = io.MultiWriter(w, os.Stderr)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test: %w", err)
	}
	return nil
}

// runIngest runs BenchmarkIngest and returns its output behind an
// "# ingest:" header line with the run's facts: the ingest block that
// last-run.txt ends with.
func runIngest(modDir string, args []string) ([]byte, error) {
	before, start := loadavg(), time.Now()
	var buf bytes.Buffer
	if err := goTest(modDir, args, &buf); err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# ingest: when=%s took=%s load-before=%s load-after=%s cmd=go %s\n",
		start.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second),
		strings.ReplaceAll(before, " ", "/"), strings.ReplaceAll(loadavg(), " ", "/"), strings.Join(args, " "))
	return append([]byte(header), buf.Bytes()...), nil
}

// splitRun splits a saved run into the main run's output and its ingest
// and kit blocks, if it has them: each block runs from its first header
// line ("# ingest:", "# kit:") to the other block's or to the end.
func splitRun(output []byte) (mainOut, ingest, kit []byte) {
	ing, k := len(output), len(output)
	if loc := ingestHeader.FindIndex(output); loc != nil {
		ing = loc[0]
	}
	if loc := kitHeader.FindIndex(output); loc != nil {
		k = loc[0]
	}
	block := func(from, other int) []byte {
		if from == len(output) {
			return nil
		}
		if other > from {
			return output[from:other]
		}
		return output[from:]
	}
	return output[:min(ing, k)], block(ing, k), block(k, ing)
}

// joinRuns puts the ingest and kit blocks, those not empty, after the main
// run's output.
func joinRuns(mainOut []byte, blocks ...[]byte) []byte {
	out := mainOut
	for _, blk := range blocks {
		if len(blk) == 0 {
			continue
		}
		out = append([]byte{}, out...)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		out = append(out, blk...)
	}
	return out
}

// ensureSysbench makes sure sysbench is installed, installing Debian's
// package with apt-get (after one apt-get update) when it is missing and
// install is set, and returns what it found or did, for the report:
// "sysbench 1.0.20" or why it is missing. The benchmark itself skips
// sysbench when it is not in PATH, so a failed install never fails the
// run.
func ensureSysbench(install bool) string {
	version := func() (string, bool) {
		if _, err := exec.LookPath("sysbench"); err != nil {
			return "", false
		}
		b, err := exec.Command("sysbench", "--version").Output()
		if err != nil {
			return "installed, `sysbench --version` failed", true
		}
		return strings.TrimSpace(string(b)), true
	}
	if v, ok := version(); ok {
		return v
	}
	if !install {
		return "not installed (-install-sysbench=false)"
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "not installed, and no apt-get to install it with"
	}
	if os.Geteuid() != 0 {
		return "not installed, and installing it with apt-get needs root"
	}
	fmt.Fprintln(os.Stderr, "report: sysbench is missing: apt-get update && apt-get install -y sysbench")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "sysbench"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Sprintf("not installed: apt-get %s failed (%v)", args[0], err)
		}
	}
	if v, ok := version(); ok {
		return v + " (installed by this run with apt-get)"
	}
	return "not installed: apt-get install sysbench succeeded but sysbench is not in PATH"
}

// benchModuleDir returns the directory of the bench module, which the
// command must be run in (or below).
func benchModuleDir() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	data, err := os.ReadFile(mod)
	if err != nil || !bytes.Contains(data, []byte("module github.com/solarhub/hubdb/bench\n")) {
		return "", errors.New("run me in the bench module: cd bench && go run ./cmd/report")
	}
	return filepath.Dir(mod), nil
}

var (
	// compareLine is a BenchmarkCompare result:
	// Compare/<workload>/c=<n>/<contender>[#round]/ctx=<style>, or
	// Compare/point/c=<n>/sysbench[#round] (no context style).
	compareLine = regexp.MustCompile(`^BenchmarkCompare/([^/]+)/c=(\d+)/([^/\s#]+?)(?:#\d+)?(?:/ctx=([a-z]+)(?:#\d+)?)?(?:-\d+)?\s+\d+\s+(.*)$`)
	// scopedLine is a BenchmarkScoped result: Scoped/N=<n>/load=<load>[#round].
	scopedLine = regexp.MustCompile(`^BenchmarkScoped/N=(\d+)/load=([a-z0-9]+)(?:#\d+)?(?:-\d+)?\s+\d+\s+(.*)$`)
	cpuLine    = regexp.MustCompile(`^cpu: (.*)$`)
	// sysbenchDown is what the benchmark prints when sysbench cannot run.
	sysbenchDown = regexp.MustCompile(`^sysbench: unavailable: (.*)$`)
	// headerLine is the first line cmd/report writes into last-run.txt;
	// sysbenchHeader the second.
	headerLine     = regexp.MustCompile(`(?m)^# report: when=(\S+) took=(\S+) load-before=(\S+) load-after=(\S+)$`)
	sysbenchHeader = regexp.MustCompile(`(?m)^# report: sysbench=(.*)$`)
	// ingestHeader starts the ingest block of a saved run; ingestFacts is
	// the header cmd/report writes when it runs BenchmarkIngest.
	ingestHeader = regexp.MustCompile(`(?m)^# ingest:`)
	ingestFacts  = regexp.MustCompile(`(?m)^# ingest: when=(\S+) took=(\S+) load-before=(\S+) load-after=(\S+) cmd=(.*)$`)
	// ingestLine is a BenchmarkIngest result: Ingest/rows=<n>/way=<way>[#round].
	ingestLine = regexp.MustCompile(`^BenchmarkIngest/rows=(\d+)/way=([a-z]+)(?:#\d+)?(?:-\d+)?\s+\d+\s+(.*)$`)
	// ingestServer is the server settings line BenchmarkIngest prints.
	ingestServer = regexp.MustCompile(`(?m)^ingest: server (.*)$`)
)

// runInfo is what parse finds in a go test -bench output.
type runInfo struct {
	res         map[string]result // workload/c/contender/ctx (ctx "" for sysbench)
	scoped      map[string]result // N/load
	cpu         string
	sysbench    string   // the report's sysbench note, "" if none
	sysbenchErr []string // why sysbench did not run, as the benchmark said
	ing         ingestInfo
	kit         kitInfo
	tail        map[string][]byte // the tail blocks by name
}

// key names a BenchmarkCompare result.
func key(w, c, contender, ctx string) string { return w + "/" + c + "/" + contender + "/" + ctx }

// parse reads go test -bench text output into medians.
func parse(output []byte) (runInfo, error) {
	compare := map[string][]map[string]float64{}
	scoped := map[string][]map[string]float64{}
	info := runInfo{}
	if m := sysbenchHeader.FindSubmatch(output); m != nil {
		info.sysbench = strings.TrimSpace(string(m[1]))
	}
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := cpuLine.FindStringSubmatch(line); m != nil {
			info.cpu = strings.TrimSpace(m[1])
			continue
		}
		if m := sysbenchDown.FindStringSubmatch(line); m != nil {
			if !slices.Contains(info.sysbenchErr, m[1]) {
				info.sysbenchErr = append(info.sysbenchErr, m[1])
			}
			continue
		}
		if m := compareLine.FindStringSubmatch(line); m != nil {
			k := key(m[1], m[2], m[3], m[4])
			compare[k] = append(compare[k], metrics(m[5]))
			continue
		}
		if m := scopedLine.FindStringSubmatch(line); m != nil {
			k := m[1] + "/" + m[2]
			scoped[k] = append(scoped[k], metrics(m[3]))
		}
	}
	if len(compare) == 0 {
		return info, errors.New("no BenchmarkCompare results in the output")
	}
	info.res, info.scoped = medians(compare), medians(scoped)
	return info, nil
}

// ingestInfo is what parseIngest finds: BenchmarkIngest's medians by
// way at the largest row count measured, and the run's facts.
type ingestInfo struct {
	rows   int               // rows per way; 0: no results
	ways   map[string]result // way
	server string            // the server settings it printed
	when   time.Time         // zero when not recorded
	took   time.Duration
	load   [2]string
	cmd    string
	from   string // the -ingest-from file, if a plain go test output
}

// parseIngest reads BenchmarkIngest's results from a go test -bench
// output (an ingest block or a whole run).
func parseIngest(output []byte) ingestInfo {
	info := ingestInfo{}
	if m := ingestFacts.FindSubmatch(output); m != nil {
		info.when, _ = time.Parse(time.RFC3339, string(m[1]))
		info.took, _ = time.ParseDuration(string(m[2]))
		info.load = [2]string{strings.ReplaceAll(string(m[3]), "/", " "), strings.ReplaceAll(string(m[4]), "/", " ")}
		info.cmd = strings.TrimSpace(string(m[5]))
	} else if m := regexp.MustCompile(`(?m)^# ingest: from=(.*)$`).FindSubmatch(output); m != nil {
		info.from = strings.TrimSpace(string(m[1]))
	}
	if m := ingestServer.FindSubmatch(output); m != nil {
		info.server = strings.TrimSpace(string(m[1]))
	}
	byRows := map[int]map[string][]map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		m := ingestLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if byRows[n] == nil {
			byRows[n] = map[string][]map[string]float64{}
		}
		byRows[n][m[2]] = append(byRows[n][m[2]], metrics(m[3]))
	}
	for n := range byRows {
		info.rows = max(info.rows, n)
	}
	if info.rows > 0 {
		info.ways = medians(byRows[info.rows])
	}
	return info
}

// metrics reads a benchmark line's "value unit" pairs.
func metrics(s string) map[string]float64 {
	f := strings.Fields(s)
	vals := map[string]float64{}
	for i := 0; i+1 < len(f); i += 2 {
		if v, err := strconv.ParseFloat(f[i], 64); err == nil {
			vals[f[i+1]] = v
		}
	}
	return vals
}

// medians turns each key's runs into a result of per-unit medians.
func medians(samples map[string][]map[string]float64) map[string]result {
	res := map[string]result{}
	for k, runs := range samples {
		by := map[string][]float64{}
		for _, r := range runs {
			for unit, v := range r {
				by[unit] = append(by[unit], v)
			}
		}
		r := result{vals: map[string]float64{}, runs: len(runs)}
		for unit, xs := range by {
			sort.Float64s(xs)
			if len(xs)%2 == 1 {
				r.vals[unit] = xs[len(xs)/2]
			} else {
				r.vals[unit] = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
			}
		}
		res[k] = r
	}
	return res
}

// facts describe the run.
type facts struct {
	cpu, goVersion, server string
	load                   [2]string
	when                   time.Time
	took                   time.Duration
	benchtime              string
	count, rounds          int
	testCmd, parsed        string
	ingestCmd              string   // how the report runs BenchmarkIngest
	kitCmds                []string // how the report runs the kit block
	chart                  string   // the throughput chart, relative to the report; "" none
}

// lookup returns the median of unit for one BenchmarkCompare result;
// sysbench, which has no context style, answers for both.
func (ri runInfo) lookup(w, c, contender, ctx, unit string) (float64, bool) {
	if contender == "sysbench" {
		ctx = ""
	}
	r, ok := ri.res[key(w, c, contender, ctx)]
	if !ok {
		return 0, false
	}
	return r.get(unit)
}

// ratio returns a's unit over base's at one setting.
func (ri runInfo) ratio(w, c, ctx, a, base, unit string) (float64, bool) {
	x, ok1 := ri.lookup(w, c, a, ctx, unit)
	y, ok2 := ri.lookup(w, c, base, ctx, unit)
	if !ok1 || !ok2 || y == 0 {
		return 0, false
	}
	return x / y, true
}

func render(ri runInfo, f facts, raw []byte, notes string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Benchmarks\n\n")
	p("hubdb's pool manager (`dbx`) against raw `database/sql` (driver defaults, tuned, and with prepared statements), GORM, sqlx\n")
	p("and sysbench, in one interleaved run, on the same server, database and table; and the demo's scoped pattern at N=2000 on hubdb\n")
	p("and raw database/sql, idle and beside two CPU-bound loops; and the bulk ingest of a day of battery readings, three ways;\n")
	p("and how fast the test kit `hubtest` gives a test its databases, on the shared server and on the kit's private one.\n")
	p("Generated by `bench/cmd/report`; do not edit by hand (the Analysis section comes from `bench/ANALYSIS.md`).\n\n")
	p("**Client, server and benchmark share the machine's 2 cores, so the figures are noisy**\n")
	p("(load average before/after this run: %s / %s). Differences below ~15%% between two contenders at one\n", f.load[0], f.load[1])
	p("setting are within the noise seen between repeated runs; compare ratios, and re-run before drawing fine conclusions.\n\n")

	p("## How to run\n\n")
	p("```sh\nmake bench\n```\n\nwhich runs, from the repository root (withdb uses the server in HUBDB_TEST_DSN / HUBDB_DSN or starts a private MariaDB):\n\n")
	p("```sh\ngo run ./internal/cmd/withdb -- sh -c 'cd bench && go run ./cmd/report'\n```\n\n")
	p("`cmd/report` first makes sure `sysbench` is installed (Debian's package, `apt-get update` and `apt-get install -y sysbench`\n")
	p("when it is missing and the report runs as root; `-install-sysbench=false` skips that; without sysbench its contender is\n")
	p("skipped and the targets say so), then runs, in `bench/` (a separate Go module, so GORM and sqlx stay out of hubdb's go.mod):\n\n")
	p("```sh\n%s\n```\n\n", f.testCmd)
	p("then, for the ingest section, BenchmarkIngest in a go test run of its own (`-ingest=false` skips it; `-ingest-only` runs only it,\n")
	p("replaces the ingest block of `bench/last-run.txt` and re-renders this file from it; `-ingest-from file` renders another saved ingest output):\n\n")
	p("```sh\n%s\n```\n\n", f.ingestCmd)
	p("then, for the test-databases section, the main module's BenchmarkKit and BenchmarkReplay, from the repository root, on the server\n")
	p("in HUBDB_TEST_DSN and then on the kit's private server (HUBDB_TEST_DSN removed from their environment), four go test runs\n")
	p("(`-kit=false` skips them; `-kit-only` runs only them, replaces the kit block at the end of `bench/last-run.txt` and re-renders\n")
	p("this file from it; `-kit-from file` renders another saved kit output):\n\n")
	p("```sh\n%s\n```\n\n", strings.Join(f.kitCmds, "\n"))
	for _, tb := range tailBlocks {
		p("then, for %s, from the repository root (`-%s=false` skips it; `-%s-only` runs only it, replaces its block at the\n", tb.what, tb.name, tb.name)
		p("end of `bench/last-run.txt` and re-renders this file from it):\n\n")
		p("```sh\n%s\n```\n\n", tb.command())
	}
	p("and writes this file. Every setting (workload × concurrency) runs its contenders one after another, and that %d times\n", f.rounds)
	p("(`-rounds`), so each contender is sampled across the same stretch of machine load; every figure below is the median over the rounds.\n")
	p("In each round a contender opens its pool once and runs both context styles on it (the order alternates between rounds):\n")
	p("`ctx=cancel` gives every operation a cancellable context, as an HTTP handler's request context is (database/sql then\n")
	p("watches it with a goroutine per transaction and per open Rows); `ctx=background` passes `context.Background()`, as a batch job may.\n")
	p("`go run ./cmd/report -rounds 5 -benchtime 1s` measures longer; `-from last-run.txt` re-renders a saved run.\n")
	p("The benchmark creates its own databases `bench_<random>` (tables `readings`, %d rows over 100 sites, and `events`),\n", 2000)
	p("`bench_sb_<random>` (sysbench's `sbtest1`, 2000 rows) and, from the test kit `hubtest`, `_hubtest_<process>_<n>_ess` (the migrated\n")
	p("ess database of the scoped pattern), and drops them at the end. It opens one contender's pool at a time (at most 64 server connections,\n")
	p("for raw-default and sysbench at c=64). BenchmarkIngest takes a migrated `_hubtest_<process>_<n>_ess` from the kit for every way and\n")
	p("round and drops it right after; BenchmarkKit and BenchmarkReplay make and drop the kit's copies, `_hubtest_<process>_<n>_<db>`.\n")
	p("BenchmarkCompare needs the server in HUBDB_TEST_DSN; BenchmarkScoped, BenchmarkIngest and the kit block's first two runs get theirs\n")
	p("from the kit, which uses that server when it is set.\n\n")

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s, %d logical CPUs (`nproc`), GOMAXPROCS %d |\n", orDash(f.cpu), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	p("| Go | %s |\n", f.goVersion)
	p("| Server | %s, on the same machine (loopback TCP) |\n", f.server)
	p("| sysbench | %s |\n", orDash(ri.sysbench))
	p("| Run | %s, %s per benchmark, %d interleaved rounds × count %d, medians shown%s |\n",
		f.when.Format("2006-01-02 15:04 UTC"), f.benchtime, f.rounds, f.count, took(f))
	p("| Load average (1/5/15 min) | before %s, after %s |\n", f.load[0], f.load[1])
	if ing := ri.ing; ing.rows > 0 && !ing.when.IsZero() {
		p("| Ingest run | %s, its own go test run, whole run %s; load average before %s, after %s |\n",
			ing.when.Format("2006-01-02 15:04 UTC"), ing.took.Round(time.Second), ing.load[0], ing.load[1])
	}
	if k := ri.kit; k.measured() && !k.when.IsZero() {
		p("| Kit run | %s, its own go test runs, whole run %s; load average before %s, after %s |\n",
			k.when.Format("2006-01-02 15:04 UTC"), k.took.Round(time.Second), k.load[0], k.load[1])
	}
	p("\n")

	p("## Contenders\n\n")
	for _, c := range contenders {
		p("- **%s**: %s\n", c.name, c.desc)
	}
	p("\nAll Go contenders run the same SQL text (GORM generates its own, equivalent statements) against the same rows, scan into the same struct,\n")
	p("and check the result. Each worker picks random ids; c workers share one pool; each operation's duration is recorded.\n\n")
	p("Beside throughput (ops/s) and latency, every benchmark reports:\n\n")
	p("- **CPU µs/op**: the client process's CPU time (user+sys, `getrusage(RUSAGE_SELF)`) across the timed loop divided by its operations.\n")
	p("  It counts the whole benchmark process (driver, pool, GC, the workers), not the server.\n")
	p("- **conns/s**: new server connections per second under steady load: the delta of the server's `SHOW GLOBAL STATUS LIKE 'Connections'`\n")
	p("  over the second half of the timed loop (read by the worker that takes operation N/2, then after the last), so a pool's dials while it\n")
	p("  grows to the load at the start do not count. The counter counts every client of the server, so another program connecting meanwhile\n")
	p("  adds to it; **dials/s** is the same window counted on the client, by the `DialFunc` every contender's pool dials through (hubdb's too).\n\n")

	p("## Targets (measured, not asserted)\n\n")
	renderTargets(&b, ri)

	p("\n## Results\n\n")
	p("ops/s is throughput; ×tuned and ×prep are its ratios to raw-tuned and raw-prepared at the same setting and context style (higher is better);\n")
	p("p50/p99 are per-operation latencies in µs; CPU µs/op and CPU ×prep are client CPU per operation and its ratio to raw-prepared's (lower is better);\n")
	p("conns/s and dials/s are connections opened per second under steady load (server's counter, this process's dials);\n")
	p("B/op and allocs/op are from `b.ReportAllocs` (whole process, including the driver). sysbench has no latency, connection or allocation figures here.\n\n")
	if f.chart != "" {
		p("![%s](%s)\n\n", chartTitle, f.chart)
	}
	for _, w := range workloads {
		p("### %s\n\n%s\n\n", w.name, w.desc)
		for _, c := range concurrencies {
			for _, ctx := range ctxStyles {
				p("**c = %s, ctx = %s**\n\n", c, ctx)
				p("| contender | ops/s | ×tuned | ×prep | p50 µs | p99 µs | CPU µs/op | CPU ×prep | conns/s | dials/s | B/op | allocs/op |\n")
				p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
				for _, k := range contenders {
					if k.name == "sysbench" && w.name != "point" {
						continue
					}
					val := func(unit, format string) string {
						v, ok := ri.lookup(w.name, c, k.name, ctx, unit)
						if !ok {
							return "–"
						}
						return fmt.Sprintf(format, v)
					}
					rat := func(base, unit string) string {
						r, ok := ri.ratio(w.name, c, ctx, k.name, base, unit)
						if !ok {
							return "–"
						}
						return fmt.Sprintf("%.2f", r)
					}
					p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k.name,
						val("ops/s", "%.0f"), rat("raw-tuned", "ops/s"), rat("raw-prepared", "ops/s"),
						val("p50-us", "%.0f"), val("p99-us", "%.0f"),
						val("cpu-us/op", "%.1f"), rat("raw-prepared", "cpu-us/op"),
						val("conns/s", "%.1f"), val("dials/s", "%.1f"),
						val("B/op", "%.0f"), val("allocs/op", "%.0f"))
				}
				p("\n")
			}
		}
	}
	renderScoped(&b, ri)
	renderIngest(&b, ri.ing)
	renderKit(&b, ri.kit)
	for _, tb := range tailBlocks {
		tb.render(&b, tb, ri.tail[tb.name])
	}
	if notes != "" {
		p("## Analysis\n\n%s\n", strings.TrimSpace(notes))
	}
	p("\n## Raw output\n\n<details><summary>go test output</summary>\n\n```\n%s\n```\n\n</details>\n", strings.TrimSpace(string(raw)))
	return b.String()
}

// scopedLoads are BenchmarkScoped's loads, in the report's order.
var scopedLoads = []struct{ name, desc string }{
	{"idle", "idle (the benchmark and the server only)"},
	{"cpu2", "beside two CPU-bound loops (`sh -c 'while :; do :; done'` twice)"},
}

// scopedFigures returns the scoped pattern's medians at one load.
func (ri runInfo) scopedFigures(load string) (hub, raw, hubFailed, rawFailed float64, runs int, ok bool) {
	r, has := ri.scoped["2000/"+load]
	if !has {
		return 0, 0, 0, 0, 0, false
	}
	hub, ok1 := r.get("hubdb-wall-ms")
	raw, ok2 := r.get("raw-wall-ms")
	hubFailed, _ = r.get("hubdb-failed")
	rawFailed, _ = r.get("raw-failed")
	return hub, raw, hubFailed, rawFailed, r.runs, ok1 && ok2 && raw > 0
}

func renderScoped(b *strings.Builder, ri runInfo) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("### scoped pattern, N = 2000\n\n")
	p("The demo's scenario (`internal/scenario`, as `hubdb demo` runs it): 2000 requests arrive at once on a pool of 5 + 10 connections\n")
	p("with a 1 s pool timeout; each runs a `Read` (its battery's state), a 100 ms call to a stub HTTP service outside any transaction,\n")
	p("then a `Write`. Each round runs `scenario.Run` with both pools, one after the other on the same stub service (the order alternates\n")
	p("between rounds), in a freshly migrated ess database. Wall is from the first arrival to the last request's end; failed counts pool\n")
	p("timeouts and errors (a pool with failures has a wall that ends with its timeouts). Medians over the rounds.\n\n")
	p("| load | hubdb wall ms | raw database/sql wall ms | hubdb / raw | hubdb failed | raw failed | rounds |\n")
	p("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range scopedLoads {
		hub, raw, hf, rf, runs, ok := ri.scopedFigures(l.name)
		if !ok {
			p("| %s | – | – | – | – | – | – |\n", l.desc)
			continue
		}
		p("| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %d |\n", l.desc, hub, raw, hub/raw, hf, rf, runs)
	}
	p("\n")
}

func took(f facts) string {
	return fmt.Sprintf(", whole run %s", f.took.Round(time.Second))
}

// verdict says whether a target is met from what was measured.
func verdict(all, any bool) string {
	switch {
	case !any:
		return "not measured"
	case all:
		return "**met**"
	}
	return "**not met**"
}

// renderTargets states each of the targets with its measured
// figures and whether it is met. "hubdb" in the targets is
// hubdb-default: hubdb with its defaults.
func renderTargets(b *strings.Builder, ri runInfo) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	const hub, prep = "hubdb-default", "raw-prepared"
	p("\"hubdb\" in the first five targets (issue 10) is **hubdb-default**, hubdb with its defaults; each target is checked in both context styles.\n\n")
	p("| target | ctx | measured | verdict |\n|---|---|---|---|\n")

	// ratioRow checks a / base of unit against limit (at least, or at
	// most when atMost) at every workload and concurrency listed.
	ratioRow := func(title, ctx string, ws, cs []string, a, base, unit string, limit float64, atMost bool) {
		all, any := true, false
		var groups []string
		for _, w := range ws {
			var parts []string
			for _, c := range cs {
				r, ok := ri.ratio(w, c, ctx, a, base, unit)
				if !ok {
					continue
				}
				any = true
				mark := ""
				if (!atMost && r < limit) || (atMost && r > limit) {
					all, mark = false, " ✗"
				}
				parts = append(parts, fmt.Sprintf("c=%s %.2f×%s", c, r, mark))
			}
			if len(parts) > 0 {
				label := w + " "
				if len(ws) == 1 {
					label = ""
				}
				groups = append(groups, label+strings.Join(parts, ", "))
			}
		}
		p("| %s | %s | %s | %s |\n", title, ctx, orDash(strings.Join(groups, "; ")), verdict(all, any))
	}
	ws := []string{"point", "readtx", "writetx"}
	for _, ctx := range ctxStyles {
		ratioRow("hubdb throughput ≥ 1.0× raw-prepared (point, readtx, writetx; c = 1, 16, 64)", ctx, ws, concurrencies, hub, prep, "ops/s", 1.0, false)
	}
	for _, ctx := range ctxStyles {
		ratioRow("hubdb client CPU per operation ≤ 1.05× raw-prepared's (CPU µs/op ratio)", ctx, ws, concurrencies, hub, prep, "cpu-us/op", 1.05, true)
	}

	// Point read at c=16 against sysbench.
	for _, ctx := range ctxStyles {
		title := "hubdb point read at c=16 ≥ 0.8× sysbench oltp_point_select QPS (same server, same run)"
		h, okH := ri.lookup("point", "16", hub, ctx, "ops/s")
		s, okS := ri.lookup("point", "16", "sysbench", ctx, "ops/s")
		switch {
		case okH && okS && s > 0:
			r := h / s
			p("| %s | %s | hubdb %.0f ops/s, sysbench %.0f queries/s: %.2f× | %s |\n", title, ctx, h, s, r, verdict(r >= 0.8, true))
		case !okS:
			why := "sysbench did not run"
			if len(ri.sysbenchErr) > 0 {
				why = "sysbench unavailable: " + strings.Join(ri.sysbenchErr, "; ")
			} else if ri.sysbench != "" {
				why += " (" + ri.sysbench + ")"
			}
			p("| %s | %s | %s | not measured |\n", title, ctx, escape(why))
		default:
			p("| %s | %s | – | not measured |\n", title, ctx)
		}
	}

	// Scoped N=2000 wall.
	for _, l := range scopedLoads {
		title := "scoped N=2000 wall ≤ 1.05× raw database/sql's, " + l.desc
		hubW, rawW, hf, rf, _, ok := ri.scopedFigures(l.name)
		if !ok {
			p("| %s | – | – | not measured |\n", title)
			continue
		}
		r := hubW / rawW
		m := fmt.Sprintf("hubdb %.0f ms, raw %.0f ms: %.2f×", hubW, rawW, r)
		if hf > 0 || rf > 0 {
			m += fmt.Sprintf(" (failed requests: hubdb %.0f, raw %.0f)", hf, rf)
		}
		p("| %s | – | %s | %s |\n", title, m, verdict(r <= 1.05, true))
	}

	// Connections opened under steady load by the 5+10 pool.
	for _, ctx := range ctxStyles {
		title := "new server connections per second under steady load, pool 5+10 (hubdb-5+10), c = 16 and 64: 0"
		all, any, ownAll := true, false, true
		var parts []string
		for _, w := range ws {
			for _, c := range []string{"16", "64"} {
				v, ok := ri.lookup(w, c, "hubdb-5+10", ctx, "conns/s")
				if !ok {
					continue
				}
				any = true
				d, _ := ri.lookup(w, c, "hubdb-5+10", ctx, "dials/s")
				raw, okRaw := ri.lookup(w, c, "raw-5+10", ctx, "conns/s")
				mark := ""
				if v > 0 {
					all, mark = false, " ✗"
				}
				if d > 0 {
					ownAll = false
				}
				s := fmt.Sprintf("%s c=%s %.1f/s%s (dials %.1f/s", w, c, v, mark, d)
				if okRaw {
					s += fmt.Sprintf("; raw-5+10 %.1f/s", raw)
				}
				parts = append(parts, s+")")
			}
		}
		v := verdict(all, any)
		if any && !all && ownAll {
			v += " on the server's counter; this process dialled none (dials 0/s), so the new connections came from other clients of the server"
		}
		p("| %s | %s | %s | %s |\n", title, ctx, orDash(strings.Join(parts, ", ")), v)
	}

	// The earlier targets, still measured.
	for _, ctx := range ctxStyles {
		ratioRow("hubdb `Read` ≥ 0.95× raw tuned (read-only transaction, 3 queries; hubdb with 16 connections)", ctx, []string{"readtx"}, concurrencies, "hubdb", "raw-tuned", "ops/s", 0.95, false)
	}
	for _, ctx := range ctxStyles {
		ratioRow("hubdb default point read ≥ 1.5× raw with driver defaults (hubdb-default vs raw-default)", ctx, []string{"point"}, concurrencies, "hubdb-default", "raw-default", "ops/s", 1.5, false)
	}
	for _, alt := range []string{"gorm", "sqlx"} {
		for _, ctx := range ctxStyles {
			all, any := true, false
			var misses []string
			var lo, hi float64 = 1e9, 0
			for _, w := range workloads {
				for _, c := range concurrencies {
					r, ok := ri.ratio(w.name, c, ctx, "hubdb", alt, "ops/s")
					if !ok {
						continue
					}
					any = true
					lo, hi = min(lo, r), max(hi, r)
					if r <= 1 {
						all = false
						misses = append(misses, fmt.Sprintf("%s c=%s %.2f×", w.name, c, r))
					}
				}
			}
			m := "–"
			if any {
				m = fmt.Sprintf("hubdb / %s from %.2f× to %.2f× over the 9 settings", alt, lo, hi)
				if len(misses) > 0 {
					m += "; behind or equal at " + strings.Join(misses, ", ")
				}
			}
			p("| hubdb (16 connections) ahead of %s everywhere (throughput) | %s | %s | %s |\n", alt, ctx, m, verdict(all, any))
		}
	}
	for _, t := range ingestTargets {
		r, line, ok := ri.ing.target(t)
		if !ok {
			p("| %s | – | %s | not measured |\n", t.title, line)
			continue
		}
		p("| %s | – | %s | %s |\n", t.title, line, verdict(r >= t.limit, true))
	}
	p("\nFor reference, hubdb (16 connections) against raw tuned on the other workloads (no target):\n\n")
	for _, ctx := range ctxStyles {
		for _, w := range []string{"point", "writetx"} {
			var parts []string
			for _, c := range concurrencies {
				if r, ok := ri.ratio(w, c, ctx, "hubdb", "raw-tuned", "ops/s"); ok {
					parts = append(parts, fmt.Sprintf("c=%s %.2f×", c, r))
				}
			}
			p("- %s, ctx=%s: %s\n", w, ctx, orDash(strings.Join(parts, ", ")))
		}
	}
}

// ingestWays are BenchmarkIngest's ways, in the report's order.
var ingestWays = []struct{ name, desc string }{
	{"batch", "the generated `(*ess.Queries).InsertBatteryReadingBatch(ctx, rows)` (gen/ess/batch.go: multi-row INSERTs of `ess.BatchRows` = 1000 rows) " +
		"with all rows in one call, inside one dbx `Write` (hubdb as shipped: default pool, statement cache on; `dbx.TxTimeout(30*time.Minute)`)."},
	{"single", "the generated single-row `InsertBatteryReading(ctx, arg)`, once per row, all calls inside one dbx `Write` (same Manager settings and TxTimeout)."},
	{"loaddata", "`LOAD DATA LOCAL INFILE 'Reader::<name>' INTO TABLE battery_readings FIELDS TERMINATED BY ',' (device_id, ts, site_id, soc_pct, power_w, " +
		"temperature_c, energy_in_wh, energy_out_wh)` through go-sql-driver/mysql's `RegisterReaderHandler`, the rows formatted as CSV while the driver " +
		"reads them (no temp file), in one `sql.Tx` of a plain `*sql.DB`: what sqlc's `:copyfrom` does on MySQL. It fails if the server raised a warning " +
		"(with LOCAL, bad values and duplicate keys are warnings, not errors)."},
}

// ingestTarget is one of issue 11's ingest targets: a's rows/s at least
// limit × base's.
type ingestTarget struct {
	title   string
	a, base string
	limit   float64
}

var ingestTargets = []ingestTarget{
	{"ingest: batch insert ≥ 20× single-row inserts (rows/s, one transaction each)", "batch", "single", 20},
	{"ingest: batch insert ≥ 0.7× LOAD DATA LOCAL INFILE (rows/s, one transaction each)", "batch", "loaddata", 0.7},
}

// rate returns a way's median rows/s.
func (ing ingestInfo) rate(way string) (float64, bool) {
	r, ok := ing.ways[way]
	if !ok {
		return 0, false
	}
	v, ok := r.get("rows/s")
	return v, ok && v > 0
}

// target returns t's measured ratio and its description.
func (ing ingestInfo) target(t ingestTarget) (float64, string, bool) {
	a, okA := ing.rate(t.a)
	base, okB := ing.rate(t.base)
	if !okA || !okB {
		return 0, "–", false
	}
	r := a / base
	return r, fmt.Sprintf("%s %.0f rows/s, %s %.0f rows/s: %.2f× (%s rows)", t.a, a, t.base, base, r, thousands(ing.rows)), true
}

func renderIngest(b *strings.Builder, ing ingestInfo) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	rows := ing.rows
	if rows == 0 {
		rows = 720000
	}
	p("## Ingest: %s battery readings\n\n", thousands(rows))
	part := ""
	if rows < 720000 {
		part = fmt.Sprintf("; here only its first %s rows", thousands(rows))
	}
	p("A day of one-minute readings of 500 batteries (devices 1–500, site = device/10 + 1, from 2025-06-21 00:00 UTC, minute by minute,\n")
	p("all 500 devices each minute: 720,000 rows%s) stored into the ess database's `battery_readings`\n", part)
	p("(primary key `(device_id, ts)`, an index on `ts`), three ways, each in one transaction on its own freshly created and migrated\n")
	p("ess database (`_hubtest_<process>_<n>_ess` from the test kit, dropped right after; BenchmarkIngest in bench/ingest_test.go):\n\n")
	for _, w := range ingestWays {
		p("- **%s**: %s\n", w.name, w.desc)
	}
	p("\nThe rows are generated once, before the clock starts, and shared by the three ways (decimals as `decimal.New(x, -1)` and `(x, -3)`);\n")
	p("after each way the table must hold exactly them (`COUNT(*)`, `SUM(power_w)`, `SUM(energy_out_wh)`, `MIN(ts)`, `MAX(ts)`), checked\n")
	p("outside the clock. The clock runs from BEGIN to COMMIT. Each round runs the three ways once, the order rotating by one each round\n")
	p("(`-ingest-rounds`); figures are medians over the rounds.\n\n")
	if ing.rows == 0 {
		p("**Not measured in this run.** `go run ./cmd/report -ingest-only` runs it and re-renders this file.\n\n")
		return
	}
	switch {
	case !ing.when.IsZero():
		p("Measured %s in its own go test run, `%s`, which took %s in all, with creating and migrating a database per way\n",
			ing.when.Format("2006-01-02 15:04 UTC"), ing.cmd, ing.took.Round(time.Second))
		p("(load average before %s, after %s).\n", ing.load[0], ing.load[1])
	case ing.from != "":
		p("From the saved output `%s` (`-ingest-from`); its time and load were not recorded.\n", ing.from)
	}
	if ing.server != "" {
		p("Server settings (read, not changed): `%s`.\n", ing.server)
	}
	p("\nrows/s is throughput; ×single and ×loaddata are its ratios to those ways'; wall s is the transaction's wall time; CPU s is the client\n")
	p("process's CPU time (user+sys, `getrusage`) during it; peak heap MB is the highest Go heap in use (HeapInuse, sampled every 10 ms)\n")
	p("during it above its value just before it, after a GC, with the input rows resident (base heap MB; so the process's peak is the\n")
	p("sum); the GC lets garbage grow to about the live heap before it collects, so the peak is bounded by the input's size more than by\n")
	p("the way; allocated MB is what the process allocated during the ingest.\n\n")
	p("| way | rows/s | ×single | ×loaddata | peak heap MB | CPU s | wall s | base heap MB | allocated MB | rounds |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range ingestWays {
		r, ok := ing.ways[w.name]
		if !ok {
			p("| %s | – | – | – | – | – | – | – | – | – |\n", w.name)
			continue
		}
		val := func(unit, format string) string {
			v, ok := r.get(unit)
			if !ok {
				return "–"
			}
			return fmt.Sprintf(format, v)
		}
		rat := func(base string) string {
			x, ok1 := ing.rate(w.name)
			y, ok2 := ing.rate(base)
			if !ok1 || !ok2 {
				return "–"
			}
			return fmt.Sprintf("%.2f", x/y)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", w.name, val("rows/s", "%.0f"), rat("single"), rat("loaddata"),
			val("peak-heap-MB", "%.1f"), val("cpu-s", "%.2f"), val("wall-s", "%.2f"), val("base-heap-MB", "%.0f"), val("alloc-MB", "%.0f"), r.runs)
	}
	p("\nTargets (issue 11, part 3), measured:\n\n")
	for _, t := range ingestTargets {
		r, line, ok := ing.target(t)
		if !ok {
			p("- %s: not measured\n", t.title)
			continue
		}
		p("- %s: %s, %s\n", t.title, line, verdict(r >= t.limit, true))
	}
	p("\n")
}

// thousands formats n with commas: 720,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// escape keeps text from breaking a Markdown table row.
func escape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func goVersion() string {
	b, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(b)) + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// serverVersion asks the server in HUBDB_TEST_DSN for its version.
func serverVersion() string {
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		return "unknown (HUBDB_TEST_DSN not set when the report was rendered)"
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "unknown (invalid DSN)"
	}
	cfg.DBName = ""
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return "unknown"
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v string
	var maxConns int
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@global.max_connections").Scan(&v, &maxConns); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return fmt.Sprintf("%s (max_connections %d)", v, maxConns)
}

// analysis returns bench/ANALYSIS.md, the hand-written reading of the
// figures, or "".
func analysis(modDir string) string {
	b, err := os.ReadFile(filepath.Join(modDir, "ANALYSIS.md"))
	if err != nil {
		return ""
	}
	return string(b)
}
