package main

// The kit block: BenchmarkKit (hubtest/bench_test.go) and BenchmarkReplay
// (internal/testdb/bench_test.go) of the main module, run from the
// repository root on the server at HUBDB_TEST_DSN and on the kit's private
// server, and the "Test databases: hubtest" section rendered from them.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/testdb"
)

// kitRun is one go test run of the kit block.
type kitRun struct {
	server string   // "shared" (HUBDB_TEST_DSN) or "private" (HUBDB_TEST_DSN removed)
	args   []string // go's arguments, run in the repository root
}

// kitRuns are the kit block's runs, in order: both benchmarks on the
// shared server, then both on the kit's private one.
func kitRuns() []kitRun {
	kit := []string{"test", "-run", "^$", "-bench", "^BenchmarkKit$", "-benchtime", "1x", "-timeout", "30m", "./hubtest/"}
	replay := []string{"test", "-run", "^$", "-bench", "^BenchmarkReplay$", "-benchtime", "10x", "./internal/testdb/"}
	return []kitRun{{"shared", kit}, {"shared", replay}, {"private", kit}, {"private", replay}}
}

// command is the run as a shell command line, from the repository root.
func (r kitRun) command() string {
	s := "go " + shellJoin(r.args)
	if r.server == "private" {
		s = "env -u " + envDSN + " " + s
	}
	return s
}

// kitCommands are the kit block's command lines.
func kitCommands() []string {
	var cmds []string
	for _, r := range kitRuns() {
		cmds = append(cmds, r.command())
	}
	return cmds
}

// shellJoin joins args into a command line for sh, single-quoting those
// that need it.
func shellJoin(args []string) string {
	safe := regexp.MustCompile(`^[A-Za-z0-9_./=:,+@%-]+$`)
	out := make([]string, len(args))
	for i, a := range args {
		if safe.MatchString(a) {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// runKit runs the kit block's go test runs in the repository root and
// returns their output as the "# kit:" block last-run.txt ends with: a
// header line with the block's facts, then each run behind a line naming
// its server, how long it took and its command, and after each server's
// runs a line with that server's settings.
func runKit(repoDir string) ([]byte, error) {
	before, start := loadavg(), time.Now()
	var body bytes.Buffer
	runs := kitRuns()
	for i, r := range runs {
		env := os.Environ()
		if r.server == "private" {
			env = withoutEnv(env, envDSN)
		}
		t0 := time.Now()
		var buf bytes.Buffer
		err := goTestIn(repoDir, env, r.args, &buf)
		fmt.Fprintf(&body, "# kit: server=%s took=%s cmd=%s\n", r.server, time.Since(t0).Round(time.Second), r.command())
		body.Write(buf.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.command(), err)
		}
		if i+1 == len(runs) || runs[i+1].server != r.server {
			fmt.Fprintf(&body, "# kit: server=%s settings=%s\n", r.server, kitServerSettings(r.server))
		}
	}
	header := fmt.Sprintf("# kit: when=%s took=%s load-before=%s load-after=%s\n",
		start.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second),
		strings.ReplaceAll(before, " ", "/"), strings.ReplaceAll(loadavg(), " ", "/"))
	return append([]byte(header), body.Bytes()...), nil
}

// withoutEnv returns env without the variable name.
func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// kitServerSettings reads (never changes) the settings of a kit block's
// server that bound how fast databases are made and dropped: the server at
// HUBDB_TEST_DSN, or the kit's private server (still up right after its
// runs: it stops itself about 20 s after its last client).
func kitServerSettings(server string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cfg *mysql.Config
	var err error
	if server == "private" {
		if cfg, err = testdb.PrivateServer(ctx, func(string, ...any) {}); err != nil {
			return "unknown (" + strings.ReplaceAll(err.Error(), "\n", " ") + ")"
		}
	} else if cfg, err = mysql.ParseDSN(os.Getenv(envDSN)); err != nil {
		return "unknown (" + envDSN + " is not a valid DSN)" // the error may quote it, password and all
	}
	cfg = cfg.Clone()
	cfg.DBName = ""
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	vars := []string{"version", "datadir", "innodb_flush_log_at_trx_commit", "innodb_doublewrite",
		"innodb_buffer_pool_size", "log_bin", "sync_binlog", "max_connections"}
	vals := make([]sql.NullString, len(vars))
	dest := make([]any, len(vars))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.QueryRowContext(ctx, "SELECT @@global."+strings.Join(vars, ", @@global.")).Scan(dest...); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	parts := make([]string, len(vars))
	for i, v := range vars {
		parts[i] = v + "=" + strings.ReplaceAll(vals[i].String, " ", "_")
	}
	return strings.Join(parts, " ")
}

var (
	// kitHeader starts the kit block of a saved run; kitFacts is the
	// header cmd/report writes when it runs the block; kitServerLine names
	// the server of the output that follows (with the run's time and
	// command) or holds its settings.
	kitHeader     = regexp.MustCompile(`(?m)^# kit:`)
	kitFacts      = regexp.MustCompile(`(?m)^# kit: when=(\S+) took=(\S+) load-before=(\S+) load-after=(\S+)$`)
	kitFrom       = regexp.MustCompile(`(?m)^# kit: from=(.*)$`)
	kitServerLine = regexp.MustCompile(`^# kit: server=(\S+)(?: settings=(.*)|(?: took=(\S+))?(?: cmd=(.*))?)$`)
	// kitLine is a BenchmarkKit result:
	// Kit/way=<way>/dbs=<n>/par=<n>/templates=<warm|cold>/hold=<n>ms.
	kitLine = regexp.MustCompile(`^BenchmarkKit/way=([a-z]+)/dbs=(\d+)/par=(\d+)/templates=([a-z]+)/hold=(\d+)ms(?:#\d+)?(?:-\d+)?\s+\d+\s+(.*)$`)
	// replayLine is a BenchmarkReplay result: Replay/way=<way>/dbs=<n>.
	replayLine = regexp.MustCompile(`^BenchmarkReplay/way=([a-z-]+)/dbs=(\d+)(?:#\d+)?(?:-\d+)?\s+\d+\s+(.*)$`)
)

// kitSetting is one BenchmarkKit setting.
type kitSetting struct {
	way       string
	dbs, par  int
	templates string
	hold      int // ms
}

func (s kitSetting) key() string {
	return fmt.Sprintf("%s/%d/%d/%s/%d", s.way, s.dbs, s.par, s.templates, s.hold)
}

// kitInfo is what parseKit finds in a kit block: each server's medians and
// the block's facts.
type kitInfo struct {
	when    time.Time // zero when not recorded
	took    time.Duration
	load    [2]string
	from    string                // the -kit-from file, if a plain go test output
	servers map[string]*kitServer // by name: "shared", "private", "" (unnamed)
}

// kitServer is one server's results.
type kitServer struct {
	name     string
	runs     []kitCmd              // the go test runs on it, in order
	settings string                // as read after its runs
	points   map[string]kitSetting // the settings measured, by key
	kit      map[string]result     // by kitSetting.key()
	replay   map[string]result     // way/dbs
}

// kitCmd is one recorded go test run.
type kitCmd struct {
	cmd  string
	took time.Duration
}

// measured reports whether the block has any result.
func (k kitInfo) measured() bool {
	for _, s := range k.servers {
		if len(s.kit) > 0 || len(s.replay) > 0 {
			return true
		}
	}
	return false
}

// serverOrder returns the servers with results or runs: shared, private,
// then any other, by name.
func (k kitInfo) serverOrder() []*kitServer {
	var names []string
	for n := range k.servers {
		if n != "shared" && n != "private" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []*kitServer
	for _, n := range append([]string{"shared", "private"}, names...) {
		if s, ok := k.servers[n]; ok {
			out = append(out, s)
		}
	}
	return out
}

// parseKit reads a kit block (or a plain go test output of the two
// benchmarks, whose results belong to the unnamed server until a
// "# kit: server=<name>" line names one).
func parseKit(output []byte) kitInfo {
	info := kitInfo{servers: map[string]*kitServer{}}
	if m := kitFacts.FindSubmatch(output); m != nil {
		info.when, _ = time.Parse(time.RFC3339, string(m[1]))
		info.took, _ = time.ParseDuration(string(m[2]))
		info.load = [2]string{strings.ReplaceAll(string(m[3]), "/", " "), strings.ReplaceAll(string(m[4]), "/", " ")}
	} else if m := kitFrom.FindSubmatch(output); m != nil {
		info.from = strings.TrimSpace(string(m[1]))
	}
	server := func(name string) *kitServer {
		s, ok := info.servers[name]
		if !ok {
			s = &kitServer{name: name, points: map[string]kitSetting{}}
			info.servers[name] = s
		}
		return s
	}
	kitSamples := map[string]map[string][]map[string]float64{}
	replaySamples := map[string]map[string][]map[string]float64{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := kitServerLine.FindStringSubmatch(line); m != nil {
			cur = m[1]
			s := server(cur)
			switch {
			case m[2] != "":
				s.settings = strings.TrimSpace(m[2])
			case m[4] != "":
				d, _ := time.ParseDuration(m[3])
				s.runs = append(s.runs, kitCmd{cmd: strings.TrimSpace(m[4]), took: d})
			}
			continue
		}
		if m := kitLine.FindStringSubmatch(line); m != nil {
			dbs, _ := strconv.Atoi(m[2])
			par, _ := strconv.Atoi(m[3])
			hold, _ := strconv.Atoi(m[5])
			st := kitSetting{way: m[1], dbs: dbs, par: par, templates: m[4], hold: hold}
			server(cur).points[st.key()] = st
			if kitSamples[cur] == nil {
				kitSamples[cur] = map[string][]map[string]float64{}
			}
			kitSamples[cur][st.key()] = append(kitSamples[cur][st.key()], metrics(m[6]))
			continue
		}
		if m := replayLine.FindStringSubmatch(line); m != nil {
			server(cur)
			if replaySamples[cur] == nil {
				replaySamples[cur] = map[string][]map[string]float64{}
			}
			k := m[1] + "/" + m[2]
			replaySamples[cur][k] = append(replaySamples[cur][k], metrics(m[3]))
		}
	}
	for name, s := range info.servers {
		s.kit, s.replay = medians(kitSamples[name]), medians(replaySamples[name])
		if name == "" && len(s.kit) == 0 && len(s.replay) == 0 && len(s.runs) == 0 {
			delete(info.servers, name)
		}
	}
	return info
}

// kitWays are BenchmarkKit's ways, in the report's order.
var kitWays = []struct{ name, desc string }{
	{"copy", "the kit as shipped: each database is migrated once per schema version into a template (`_hubtest_tpl_<hash>_<db>`), " +
		"whose `CREATE TABLE` statements and rows the kit records; a test gets a replay of the templates' script, all its databases in one round trip."},
	{"migrate", "golang-migrate on every database of every test (`Kit.Migrate`, the kit's option for schemas a copy cannot reproduce: views, triggers, routines)."},
	{"ahead", "copies made ahead (the copy way) by two background makers into a stock of 8 and handed out: a model of a pool of ready " +
		"copies, where the wait is the time to take one from the stock."},
}

// kitServers are the kit block's servers, in the report's order.
var kitServers = []struct{ name, desc string }{
	{"shared", "the server at `HUBDB_TEST_DSN`, the one the other sections use (the go test runs get the report's environment as it is)."},
	{"private", "the kit's own MariaDB, which it starts (or finds running) when `HUBDB_TEST_DSN` is unset, as a plain `go test ./...` " +
		"does (the runs get the report's environment without `HUBDB_TEST_DSN`): tuned for tests, nothing in it needs to survive a crash, " +
		"so `--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0`, and its datadir is in `/dev/shm` when that has 1 GiB free."},
}

// title names a server in the report.
func (s *kitServer) title() string {
	switch s.name {
	case "shared", "private":
		return s.name + " server"
	case "":
		return "server of the saved output"
	}
	return "server " + s.name
}

// kitWayRank orders the ways as the benchmark runs them.
func kitWayRank(way string) int {
	for i, w := range kitWays {
		if w.name == way {
			return i
		}
	}
	return len(kitWays)
}

// sortedPoints returns the settings measured on s in the benchmark's
// order: way, databases, parallel, templates warm before cold, hold.
func (s *kitServer) sortedPoints() []kitSetting {
	var pts []kitSetting
	for _, p := range s.points {
		pts = append(pts, p)
	}
	sort.Slice(pts, func(i, j int) bool {
		a, b := pts[i], pts[j]
		switch {
		case kitWayRank(a.way) != kitWayRank(b.way):
			return kitWayRank(a.way) < kitWayRank(b.way)
		case a.way != b.way:
			return a.way < b.way
		case a.dbs != b.dbs:
			return a.dbs < b.dbs
		case a.par != b.par:
			return a.par < b.par
		case a.templates != b.templates:
			return a.templates == "warm" || (b.templates != "warm" && a.templates < b.templates)
		}
		return a.hold < b.hold
	})
	return pts
}

// figure returns the median of unit at one setting, if measured.
func (s *kitServer) figure(st kitSetting, unit string) (float64, bool) {
	if s == nil {
		return 0, false
	}
	r, ok := s.kit[st.key()]
	if !ok {
		return 0, false
	}
	return r.get(unit)
}

// num formats a figure with three significant digits, whole numbers from
// 100 up: 0.000711, 7.60, 35.4, 3575.
func num(v float64) string {
	if v >= 100 || v <= 0 {
		return fmt.Sprintf("%.0f", v)
	}
	digits := 2 - int(math.Floor(math.Log10(v)))
	return fmt.Sprintf("%.*f", max(digits, 0), v)
}

// kitTargetDBs are issue 12's readiness targets: n databases ready for a
// test in less than limit ms.
var kitTargetDBs = []struct {
	title string
	dbs   int
	limit float64
}{
	{"one database ready for a test in < 20 ms", 1, 20},
	{"all 18 databases ready for a test in < 200 ms", 18, 200},
}

// waits describes the p50 and p99 wait at st, marking figures of limit ms
// or more (limit 0: no marks), and reports whether both were measured and
// both are under the limit.
func (s *kitServer) waits(st kitSetting, limit float64) (text string, under, complete bool) {
	under, complete = true, true
	var parts []string
	for _, q := range []string{"p50", "p99"} {
		v, ok := s.figure(st, q+"-ms")
		if !ok {
			complete = false
			parts = append(parts, q+" not measured")
			continue
		}
		mark := ""
		if limit > 0 && v >= limit {
			under, mark = false, " ✗"
		}
		parts = append(parts, fmt.Sprintf("%s %s ms%s", q, num(v), mark))
	}
	return strings.Join(parts, ", "), under, complete
}

// renderKitTargets writes issue 12's targets as measured on s.
func renderKitTargets(b *strings.Builder, s *kitServer) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	at := func(dbs, par int, temp string) kitSetting {
		return kitSetting{way: "copy", dbs: dbs, par: par, templates: temp}
	}
	for _, t := range kitTargetDBs {
		eight, under, complete := s.waits(at(t.dbs, 8, "warm"), t.limit)
		one, _, _ := s.waits(at(t.dbs, 1, "warm"), 0)
		p("- %s (way=copy, dbs=%d, templates warm, hold 0; p50 and p99 of the wait): 8 in parallel: %s; 1 at a time, for reference: %s; %s\n",
			t.title, t.dbs, eight, one, verdict(under, complete))
	}
	for _, dbs := range []int{1, 18} {
		eight, _, _ := s.waits(at(dbs, 8, "cold"), 0)
		one, _, _ := s.waits(at(dbs, 1, "cold"), 0)
		what := "one database"
		if dbs > 1 {
			what = fmt.Sprintf("all %d databases", dbs)
		}
		p("- %s with the templates cold (way=copy, a new schema version, so the first tests build them; no target): 8 in parallel: %s; 1 at a time: %s\n",
			what, eight, one)
	}
	all, complete := true, true
	var parts []string
	for _, par := range []int{1, 8} {
		st := kitSetting{dbs: 18, par: par, templates: "warm"}
		st.way = "copy"
		cp, ok1 := s.figure(st, "p50-ms")
		st.way = "migrate"
		mg, ok2 := s.figure(st, "p50-ms")
		if !ok1 || !ok2 || cp <= 0 {
			complete = false
			parts = append(parts, fmt.Sprintf("par=%d not measured", par))
			continue
		}
		r, mark := mg/cp, ""
		if r <= 2 {
			all, mark = false, " ✗"
		}
		parts = append(parts, fmt.Sprintf("par=%d migrate %s ms / copy %s ms = %.2f×%s", par, num(mg), num(cp), r, mark))
	}
	p("- the kit ahead of migrating by more than 2× (p50 of the wait, way=migrate over way=copy, all 18 databases, templates warm, hold 0): %s; %s\n",
		strings.Join(parts, ", "), verdict(all, complete))
}

// renderKit writes the "Test databases: hubtest" section.
func renderKit(b *strings.Builder, k kitInfo) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("## Test databases: hubtest\n\n")
	p("How long a test waits for its databases from the test kit, package `hubtest` (BenchmarkKit in hubtest/bench_test.go): the **wait**\n")
	p("is from the call of `hubtest.New` until it returns, the databases ready to use; the **drop** is how long the test's cleanup takes to\n")
	p("drop them when the test ends. Three ways:\n\n")
	for _, w := range kitWays {
		p("- **%s**: %s\n", w.name, w.desc)
	}
	p("\nand the settings: **dbs** 1 (each test takes the next database of the registry, so the sizes of all 18 are averaged) or all 18;\n")
	p("**parallel** 1 or 8 tests at a time; **templates** warm (built before the timing) or cold (a new schema version: a comment unique\n")
	p("to the run appended to every database's last up migration, so the first tests build the templates; way copy only, one test per\n")
	p("worker); **hold** 0 (the test ends at once) or 50 ms of work with its databases before it ends (8 in parallel, warm templates only).\n")
	p("Each of the parallel workers runs 25 tests of one database, 5 of all 18, or 1 when cold, one after another; p50 and p99 are of the\n")
	p("waits (nearest rank: with fewer than 100 tests the p99 is the slowest wait), drop p50 is of the drops, tests/s is the tests over the\n")
	p("setting's wall time. Every setting runs once (`-benchtime 1x`).\n\n")
	p("BenchmarkReplay (internal/testdb/bench_test.go) compares the two ways of replaying the templates of the databases into one test's\n")
	p("copies: the whole script in one round trip (`one-trip`, what the kit does) and one round trip per statement on one connection\n")
	p("(`per-statement`); ms/op is one set of copies ready, the mean of 10 replays (`-benchtime 10x`; the drop after each is not timed).\n\n")
	p("Both run on two servers:\n\n")
	for _, s := range kitServers {
		p("- **%s**: %s\n", s.name, s.desc)
	}
	servers := k.serverOrder()
	var cmds []string
	for _, s := range servers {
		for _, r := range s.runs {
			cmds = append(cmds, r.cmd)
		}
	}
	if len(cmds) == 0 {
		cmds = kitCommands()
	}
	p("\nfrom the repository root (the main module), one after another:\n\n```sh\n%s\n```\n\n", strings.Join(cmds, "\n"))
	if !k.measured() {
		p("**Not measured in this run.** `go run ./cmd/report -kit-only` runs them and re-renders this file.\n\n")
		return
	}
	switch {
	case !k.when.IsZero():
		var tooks []string
		for _, s := range servers {
			var d time.Duration
			for _, r := range s.runs {
				d += r.took
			}
			if len(s.runs) > 0 {
				tooks = append(tooks, fmt.Sprintf("%s %s", s.title(), d.Round(time.Second)))
			}
		}
		p("Measured %s in go test runs of their own, which took %s in all (%s)\n",
			k.when.Format("2006-01-02 15:04 UTC"), k.took.Round(time.Second), strings.Join(tooks, ", "))
		p("(load average before %s, after %s).\n\n", k.load[0], k.load[1])
	case k.from != "":
		p("From the saved output `%s` (`-kit-from`); its time and load were not recorded.\n\n", k.from)
	default:
		p("The saved output's time and load were not recorded.\n\n")
	}
	p("p50 ms and p99 ms are of the wait, drop p50 ms of the drop; tests/s is throughput; tests is how many tests the setting ran.\n\n")
	for _, s := range servers {
		if len(s.kit) == 0 {
			continue
		}
		p("### BenchmarkKit, %s\n\n", s.title())
		if s.settings != "" {
			p("Server settings (read after its runs, not changed): `%s`.\n\n", s.settings)
		}
		p("| way | dbs | parallel | templates | hold | p50 ms | p99 ms | drop p50 ms | tests/s | tests |\n")
		p("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, st := range s.sortedPoints() {
			val := func(unit string) string {
				v, ok := s.figure(st, unit)
				if !ok {
					return "–"
				}
				if unit == "tests" {
					return fmt.Sprintf("%.0f", v)
				}
				return num(v)
			}
			p("| %s | %d | %d | %s | %d ms | %s | %s | %s | %s | %s |\n", st.way, st.dbs, st.par, st.templates, st.hold,
				val("p50-ms"), val("p99-ms"), val("drop-p50-ms"), val("tests/s"), val("tests"))
		}
		p("\n")
	}
	var replayed []*kitServer
	for _, s := range servers {
		if len(s.replay) > 0 {
			replayed = append(replayed, s)
		}
	}
	if len(replayed) > 0 {
		p("### BenchmarkReplay\n\nms/op: one test's copies ready, by way of replaying the templates and number of databases.\n\n")
		p("| way | dbs |")
		for _, s := range replayed {
			p(" %s ms/op |", s.title())
		}
		p("\n|---|---:|%s\n", strings.Repeat("---:|", len(replayed)))
		for _, way := range []string{"one-trip", "per-statement"} {
			for _, dbs := range []string{"1", "18"} {
				p("| %s | %s |", way, dbs)
				for _, s := range replayed {
					v, ok := s.replay[way+"/"+dbs].get("ms/op")
					if !ok {
						p(" – |")
						continue
					}
					p(" %s |", num(v))
				}
				p("\n")
			}
		}
		p("\n")
	}
	p("Targets (issue 12), measured:\n\n")
	for _, s := range servers {
		if len(s.kit) == 0 && len(s.replay) > 0 {
			continue // replay only: no figure of the targets
		}
		p("On the %s:\n\n", s.title())
		renderKitTargets(b, s)
		p("\n")
	}
	for _, want := range []string{"shared", "private"} {
		if _, ok := k.servers[want]; !ok && k.from == "" {
			p("On the %s server: not measured.\n\n", want)
		}
	}
}
