// Command report runs the bench module's BenchmarkCompare and writes
// BENCHMARKS.md at the repository root: the exact commands, the machine,
// one table per workload and concurrency with absolute numbers and ratios
// to raw tuned database/sql, and the targets as measured.
//
// Run it from the bench module with a server in HUBDB_TEST_DSN:
//
//	cd bench && HUBDB_TEST_DSN='root@tcp(127.0.0.1:3306)/' go run ./cmd/report
//
// or from the repository root, letting withdb find or start a server:
//
//	go run ./internal/cmd/withdb -- sh -c 'cd bench && go run ./cmd/report'
//
// Flags: -benchtime and -count are passed to go test (with -count > 1
// each figure is the median of the runs); -out names the file to write;
// -from parses a saved `go test -bench` output instead of running.
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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

const envDSN = "HUBDB_TEST_DSN"

// The names BenchmarkCompare uses; the report lists them in this order.
var (
	workloads = []struct{ name, desc string }{
		{"point", "Point read: one `SELECT … WHERE id = ?` by primary key, no transaction (hubdb: a plain `Queries(ctx)` call)."},
		{"readtx", "Read-only transaction with three queries: the row by id, a site's first 10 rows, a COUNT/SUM over the site; `START TRANSACTION READ ONLY` … `COMMIT` (hubdb: `Read`)."},
		{"writetx", "Write transaction: `UPDATE` one row by id and `INSERT` one event, then `COMMIT` (hubdb: `Write`)."},
	}
	concurrencies = []string{"1", "16", "64"}
	contenders    = []struct{ name, desc string }{
		{"raw-default", "database/sql, `sql.Open` with a plain DSN (plus `parseTime=true`, needed to scan DATETIME): driver and pool defaults, i.e. MaxIdleConns 2, MaxOpenConns unlimited, interpolateParams off (each query with arguments is prepared, executed and closed)."},
		{"raw-tuned", "database/sql tuned: `interpolateParams=true`, `parseTime`, UTC, MaxOpen = MaxIdle = 16, ConnMaxLifetime 30 min; no extra round trips (no isolation SET, no ping)."},
		{"hubdb", "hubdb's `dbx` with `Pool{Size: dbx.Int(16), Overflow: dbx.Int(0)}` (same 16 connections as raw tuned), through a sqlc-shaped `Queries` bound with `dbx.Bind`: plain `Queries(ctx)` call, `Read`, `Write`. Pre-ping, FIFO gate, leak and idle-in-transaction timers all on, as shipped."},
		{"hubdb-default", "hubdb with its default pool (`Pool{}`: size 10, overflow 20, so up to 30 open and 10 kept idle)."},
		{"gorm", "GORM " + "(gorm.io/gorm + gorm.io/driver/mysql) on the raw-tuned `*sql.DB`, `SkipDefaultTransaction`, silent logger; `Take`, `Find`, `Scan`, `Updates(map)`, `Create`, `Transaction`."},
		{"sqlx", "sqlx on the raw-tuned `*sql.DB`: `GetContext`, `SelectContext`, `ExecContext`, `BeginTxx`."},
	}
)

// result is one benchmark's figures (medians over -count runs).
type result struct {
	opsPerSec, p50, p99, bytes, allocs float64
	runs                               int
}

func main() {
	benchtime := flag.String("benchtime", "500ms", "go test -benchtime")
	count := flag.Int("count", 1, "go test -count; figures are medians over all runs")
	rounds := flag.Int("rounds", 3, "BenchmarkCompare -rounds: every setting's contenders run this many times, interleaved; figures are medians")
	out := flag.String("out", "", "file to write (default BENCHMARKS.md at the repository root)")
	from := flag.String("from", "", "parse this saved go test -bench output instead of running the benchmarks")
	flag.Parse()
	if err := run(*benchtime, *count, *rounds, *out, *from); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(benchtime string, count, rounds int, out, from string) error {
	modDir, err := benchModuleDir()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(modDir, "..", "BENCHMARKS.md")
	}
	testArgs := []string{"test", "-run", "^$", "-bench", "^BenchmarkCompare$",
		"-benchtime", benchtime, "-count", strconv.Itoa(count), "-timeout", "30m", ".",
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
		output = append([]byte(fmt.Sprintf("# report: when=%s took=%s load-before=%s load-after=%s\n",
			start.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second),
			strings.ReplaceAll(load[0], " ", "/"), strings.ReplaceAll(load[1], " ", "/"))), buf.Bytes()...)
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
	results, cpu, err := parse(output)
	if err != nil {
		return err
	}
	md := render(results, facts{
		cpu: cpu, goVersion: goVersion(), server: serverVersion(), load: load,
		when: start.UTC(), took: tookRun, benchtime: benchtime, count: count, rounds: rounds,
		testCmd: "go " + strings.Join(testArgs, " "), parsed: from,
	}, output, analysis(modDir))
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s\n", out)
	return nil
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
	benchLine = regexp.MustCompile(`^BenchmarkCompare/([^/]+)/c=(\d+)/([^\s#]+?)(?:#\d+)?(?:-\d+)?\s+\d+\s+(.*)$`)
	cpuLine   = regexp.MustCompile(`^cpu: (.*)$`)
	// headerLine is the first line cmd/report writes into last-run.txt.
	headerLine = regexp.MustCompile(`(?m)^# report: when=(\S+) took=(\S+) load-before=(\S+) load-after=(\S+)$`)
)

// parse reads go test -bench text output into medians keyed by
// workload/concurrency/contender.
func parse(output []byte) (map[string]result, string, error) {
	samples := map[string][]map[string]float64{}
	cpu := ""
	sc := bufio.NewScanner(bytes.NewReader(output))
	for sc.Scan() {
		line := sc.Text()
		if m := cpuLine.FindStringSubmatch(line); m != nil {
			cpu = strings.TrimSpace(m[1])
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := strings.Fields(m[4])
		vals := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				vals[f[i+1]] = v
			}
		}
		key := m[1] + "/" + m[2] + "/" + m[3]
		samples[key] = append(samples[key], vals)
	}
	if len(samples) == 0 {
		return nil, "", errors.New("no BenchmarkCompare results in the output")
	}
	res := map[string]result{}
	for k, runs := range samples {
		med := func(unit string) float64 {
			var xs []float64
			for _, r := range runs {
				xs = append(xs, r[unit])
			}
			sort.Float64s(xs)
			if len(xs)%2 == 1 {
				return xs[len(xs)/2]
			}
			return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		res[k] = result{
			opsPerSec: med("ops/s"), p50: med("p50-us"), p99: med("p99-us"),
			bytes: med("B/op"), allocs: med("allocs/op"), runs: len(runs),
		}
	}
	return res, cpu, nil
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

func render(res map[string]result, f facts, raw []byte, notes string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Benchmarks\n\n")
	p("hubdb's pool manager (`dbx`) against raw `database/sql` (driver defaults and tuned), GORM and sqlx,\n")
	p("in one run, on the same server, database and table. Generated by `bench/cmd/report`; do not edit by hand\n")
	p("(the Analysis section comes from `bench/ANALYSIS.md`).\n\n")
	p("**Client, server and benchmark share the machine's 2 cores, so the figures are noisy**\n")
	p("(load average before/after this run: %s / %s). Differences below ~15%% between two contenders at one\n", f.load[0], f.load[1])
	p("setting are within the noise seen between repeated runs; compare ratios, and re-run before drawing fine conclusions.\n\n")

	p("## How to run\n\n")
	p("```sh\nmake bench\n```\n\nwhich runs, from the repository root (withdb uses the server in HUBDB_TEST_DSN / HUBDB_DSN or starts a private MariaDB):\n\n")
	p("```sh\ngo run ./internal/cmd/withdb -- sh -c 'cd bench && go run ./cmd/report'\n```\n\n")
	p("`cmd/report` runs, in `bench/` (a separate Go module, so GORM and sqlx stay out of hubdb's go.mod):\n\n")
	p("```sh\n%s\n```\n\n", f.testCmd)
	p("and writes this file. Every setting (workload × concurrency) runs its six contenders one after another, and that %d times\n", f.rounds)
	p("(`-rounds`), so each contender is sampled across the same stretch of machine load; every figure below is the median over the rounds.\n")
	p("`go run ./cmd/report -rounds 5 -benchtime 1s` measures longer; `-from last-run.txt` re-renders a saved run.\n")
	p("The benchmark creates its own database `bench_<random>` (tables `readings`, %d rows over 100 sites, and `events`), drops it at the end,\n", 2000)
	p("and opens one contender's pool at a time (at most 64 server connections, for raw-default at c=64).\n\n")

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s, %d logical CPUs (`nproc`), GOMAXPROCS %d |\n", orDash(f.cpu), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	p("| Go | %s |\n", f.goVersion)
	p("| Server | %s, on the same machine (loopback TCP) |\n", f.server)
	p("| Run | %s, %s per benchmark, %d interleaved rounds × count %d, medians shown%s |\n",
		f.when.Format("2006-01-02 15:04 UTC"), f.benchtime, f.rounds, f.count, took(f))
	p("| Load average (1/5/15 min) | before %s, after %s |\n\n", f.load[0], f.load[1])

	p("## Contenders\n\n")
	for _, c := range contenders {
		p("- **%s**: %s\n", c.name, c.desc)
	}
	p("\nAll run the same SQL text (GORM generates its own, equivalent statements) against the same rows, scan into the same struct,\n")
	p("and check the result. Each worker picks random ids; c workers share one pool; each operation's duration is recorded.\n")
	p("Every operation gets a cancellable context, as an HTTP handler's request context is (with `context.Background()`\n")
	p("database/sql would skip its per-transaction and per-Rows watcher goroutines, which no real service does).\n\n")

	p("## Targets (measured, not asserted)\n\n")
	renderTargets(&b, res)

	p("\n## Results\n\n")
	p("ops/s is throughput; ×tuned is the ratio to raw-tuned at the same setting (higher is better for ops/s, lower for p99);\n")
	p("p50/p99 are per-operation latencies in µs; B/op and allocs/op are from `b.ReportAllocs` (whole process, including the driver).\n\n")
	for _, w := range workloads {
		p("### %s\n\n%s\n\n", w.name, w.desc)
		for _, c := range concurrencies {
			base, ok := res[w.name+"/"+c+"/raw-tuned"]
			p("**c = %s**\n\n", c)
			p("| contender | ops/s | ×tuned | p50 µs | p99 µs | p99 ×tuned | B/op | allocs/op |\n")
			p("|---|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, k := range contenders {
				r, has := res[w.name+"/"+c+"/"+k.name]
				if !has {
					p("| %s | – | – | – | – | – | – | – |\n", k.name)
					continue
				}
				rt, rp := "–", "–"
				if ok && base.opsPerSec > 0 {
					rt = fmt.Sprintf("%.2f", r.opsPerSec/base.opsPerSec)
					rp = fmt.Sprintf("%.2f", r.p99/base.p99)
				}
				p("| %s | %.0f | %s | %.0f | %.0f | %s | %.0f | %.0f |\n",
					k.name, r.opsPerSec, rt, r.p50, r.p99, rp, r.bytes, r.allocs)
			}
			p("\n")
		}
	}
	if notes != "" {
		p("## Analysis\n\n%s\n", strings.TrimSpace(notes))
	}
	p("\n## Raw output\n\n<details><summary>go test output</summary>\n\n```\n%s\n```\n\n</details>\n", strings.TrimSpace(string(raw)))
	return b.String()
}

func took(f facts) string {
	return fmt.Sprintf(", whole run %s", f.took.Round(time.Second))
}

// renderTargets states each of the targets with its measured
// ratios and whether it is met.
func renderTargets(b *strings.Builder, res map[string]result) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	ratio := func(w, c, a, base string) (float64, bool) {
		x, ok1 := res[w+"/"+c+"/"+a]
		y, ok2 := res[w+"/"+c+"/"+base]
		if !ok1 || !ok2 || y.opsPerSec == 0 {
			return 0, false
		}
		return x.opsPerSec / y.opsPerSec, true
	}
	verdict := func(all, any bool) string {
		switch {
		case !any:
			return "not measured"
		case all:
			return "**met**"
		}
		return "**not met**"
	}
	line := func(title, w, a, base string, min float64) {
		all, any := true, false
		var parts []string
		for _, c := range concurrencies {
			r, ok := ratio(w, c, a, base)
			if !ok {
				continue
			}
			any = true
			mark := ""
			if r < min {
				all, mark = false, " ✗"
			}
			parts = append(parts, fmt.Sprintf("c=%s: %.2f×%s", c, r, mark))
		}
		p("| %s | %s | %s |\n", title, strings.Join(parts, ", "), verdict(all, any))
	}
	p("| target | measured (throughput ratio) | verdict |\n|---|---|---|\n")
	line("hubdb `Read` ≥ 0.95× raw tuned (read-only transaction, 3 queries)", "readtx", "hubdb", "raw-tuned", 0.95)
	line("hubdb default point read ≥ 1.5× raw with driver defaults (hubdb-default vs raw-default)", "point", "hubdb-default", "raw-default", 1.5)
	for _, alt := range []string{"gorm", "sqlx"} {
		all, any := true, false
		var misses []string
		var lo, hi float64 = 1e9, 0
		for _, w := range workloads {
			for _, c := range concurrencies {
				r, ok := ratio(w.name, c, "hubdb", alt)
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
		m := fmt.Sprintf("hubdb / %s from %.2f× to %.2f× over the 9 settings", alt, lo, hi)
		if len(misses) > 0 {
			m += "; behind or equal at " + strings.Join(misses, ", ")
		}
		p("| hubdb ahead of %s everywhere (throughput) | %s | %s |\n", alt, m, verdict(all, any))
	}
	p("\nFor reference, hubdb against raw tuned on the other workloads (no target; the gate, lease and timers cost the same here):\n\n")
	for _, w := range []string{"point", "writetx"} {
		var parts []string
		for _, c := range concurrencies {
			if r, ok := ratio(w, c, "hubdb", "raw-tuned"); ok {
				parts = append(parts, fmt.Sprintf("c=%s %.2f×", c, r))
			}
		}
		p("- %s: %s\n", w, strings.Join(parts, ", "))
	}
}

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
