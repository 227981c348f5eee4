// Command report runs the bench module's BenchmarkCompare and
// BenchmarkScoped in one go test run and writes BENCHMARKS.md at the
// repository root: the exact commands, the machine, one table per
// workload, concurrency and context style with absolute numbers (ops/s,
// latency, client CPU per operation, connections opened per second) and
// ratios to raw tuned and raw prepared database/sql, the scoped pattern at
// N=2000, and the issues' targets as measured, each with a verdict
// computed from the run.
//
// Run it from the bench module with a server in HUBDB_TEST_DSN:
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
	benchtime := flag.String("benchtime", "500ms", "go test -benchtime (sysbench runs it rounded up to whole seconds, at least 1 s)")
	count := flag.Int("count", 1, "go test -count; figures are medians over all runs")
	rounds := flag.Int("rounds", 3, "BenchmarkCompare and BenchmarkScoped -rounds: every setting's contenders run this many times, interleaved; figures are medians")
	out := flag.String("out", "", "file to write (default BENCHMARKS.md at the repository root)")
	from := flag.String("from", "", "parse this saved go test -bench output instead of running the benchmarks")
	install := flag.Bool("install-sysbench", true, "install Debian's sysbench with apt-get when it is missing (needs root)")
	flag.Parse()
	if err := run(*benchtime, *count, *rounds, *out, *from, *install); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(benchtime string, count, rounds int, out, from string, install bool) error {
	modDir, err := benchModuleDir()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(modDir, "..", "BENCHMARKS.md")
	}
	testArgs := []string{"test", "-run", "^$", "-bench", "^Benchmark(Compare|Scoped)$",
		"-benchtime", benchtime, "-count", strconv.Itoa(count), "-timeout", "60m", ".",
		"-rounds", strconv.Itoa(rounds)}
	var output []byte
	load := [2]string{loadavg(), ""}
	start := time.Now()
	if from != "" {
		if output, err = os.ReadFile(from); err != nil {
			return err
		}
	} else {
		if os.Getenv(envDSN) == "" {
			return fmt.Errorf("%s is not set: run `make bench`, or set %s='root@tcp(127.0.0.1:3306)/'", envDSN, envDSN)
		}
		sbNote := ensureSysbench(install)
		fmt.Fprintf(os.Stderr, "report: go %s\n", strings.Join(testArgs, " "))
		cmd := exec.Command("go", testArgs...)
		cmd.Dir = modDir
		var buf bytes.Buffer
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go test: %w", err)
		}
		load[1] = loadavg()
		// The run's facts go first, so -from can re-render it faithfully.
		header := fmt.Sprintf("# report: when=%s took=%s load-before=%s load-after=%s\n",
			start.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second),
			strings.ReplaceAll(load[0], " ", "/"), strings.ReplaceAll(load[1], " ", "/"))
		header += "# report: sysbench=" + sbNote + "\n"
		output = append([]byte(header), buf.Bytes()...)
		if err := os.WriteFile(filepath.Join(modDir, "last-run.txt"), output, 0o644); err != nil {
			return err
		}
	}
	tookRun := time.Since(start)
	if m := headerLine.FindStringSubmatch(string(output)); m != nil {
		if t, err := time.Parse(time.RFC3339, m[1]); err == nil {
			start = t
		}
		if d, err := time.ParseDuration(m[2]); err == nil {
			tookRun = d
		}
		load = [2]string{strings.ReplaceAll(m[3], "/", " "), strings.ReplaceAll(m[4], "/", " ")}
	}
	runInfo, err := parse(output)
	if err != nil {
		return err
	}
	md := render(runInfo, facts{
		cpu: runInfo.cpu, goVersion: goVersion(), server: serverVersion(), load: load,
		when: start.UTC(), took: tookRun, benchtime: benchtime, count: count, rounds: rounds,
		testCmd: "go " + strings.Join(testArgs, " "), parsed: from,
	}, output, analysis(modDir))
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s\n", out)
	return nil
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
)

// runInfo is what parse finds in a go test -bench output.
type runInfo struct {
	res         map[string]result // workload/c/contender/ctx (ctx "" for sysbench)
	scoped      map[string]result // N/load
	cpu         string
	sysbench    string   // the report's sysbench note, "" if none
	sysbenchErr []string // why sysbench did not run, as the benchmark said
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
	metrics := func(s string) map[string]float64 {
		f := strings.Fields(s)
		vals := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				vals[f[i+1]] = v
			}
		}
		return vals
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
	p("and raw database/sql, idle and beside two CPU-bound loops. Generated by `bench/cmd/report`; do not edit by hand\n")
	p("(the Analysis section comes from `bench/ANALYSIS.md`).\n\n")
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
	p("and writes this file. Every setting (workload × concurrency) runs its contenders one after another, and that %d times\n", f.rounds)
	p("(`-rounds`), so each contender is sampled across the same stretch of machine load; every figure below is the median over the rounds.\n")
	p("In each round a contender opens its pool once and runs both context styles on it (the order alternates between rounds):\n")
	p("`ctx=cancel` gives every operation a cancellable context, as an HTTP handler's request context is (database/sql then\n")
	p("watches it with a goroutine per transaction and per open Rows); `ctx=background` passes `context.Background()`, as a batch job may.\n")
	p("`go run ./cmd/report -rounds 5 -benchtime 1s` measures longer; `-from last-run.txt` re-renders a saved run.\n")
	p("The benchmark creates its own databases `bench_<random>` (tables `readings`, %d rows over 100 sites, and `events`),\n", 2000)
	p("`bench_sb_<random>` (sysbench's `sbtest1`, 2000 rows) and `t<random>_ess` (the migrated ess database of the scoped pattern),\n")
	p("and drops them at the end. It opens one contender's pool at a time (at most 64 server connections, for raw-default and sysbench at c=64).\n\n")

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s, %d logical CPUs (`nproc`), GOMAXPROCS %d |\n", orDash(f.cpu), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	p("| Go | %s |\n", f.goVersion)
	p("| Server | %s, on the same machine (loopback TCP) |\n", f.server)
	p("| sysbench | %s |\n", orDash(ri.sysbench))
	p("| Run | %s, %s per benchmark, %d interleaved rounds × count %d, medians shown%s |\n",
		f.when.Format("2006-01-02 15:04 UTC"), f.benchtime, f.rounds, f.count, took(f))
	p("| Load average (1/5/15 min) | before %s, after %s |\n\n", f.load[0], f.load[1])

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
