package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sysbench is the sysbench contender of the point read: sysbench's
// oltp_point_select (Debian's sysbench 1.0: C and LuaJIT on libmariadb,
// server-side prepared statements, one connection per thread, no pool) on
// its own database bench_sb_<random> of the same server, --tables=1
// --table-size=2000 (the size of the readings table). Its figure is
// queries per second; each of its events runs 10 point selects
// (its default --point_selects). Its CPU per operation is the sysbench
// process's user+sys time divided by its queries.
//
// The database is prepared the first time a sysbench benchmark runs and
// cleaned up and dropped when BenchmarkCompare ends. When sysbench is not
// installed or fails, the benchmark prints one line
// "sysbench: unavailable: <why>" (cmd/report shows it in the targets) and
// is skipped; the others run on.
type sysbench struct {
	e        *env
	prepared bool
	schema   string
	err      error  // why sysbench cannot run at all (not installed, prepare failed)
	reported string // the last reason printed
}

// sysbenchLine finds the queries count and rate in sysbench's report.
var sysbenchLine = regexp.MustCompile(`(?m)^\s*queries:\s+(\d+)\s+\(([\d.]+) per sec\.\)`)

// args are the options every sysbench command gets: the test, the
// server from HUBDB_TEST_DSN, the database and the table's size.
func (s *sysbench) args(cmd string, extra ...string) ([]string, error) {
	srv := s.e.srv
	a := []string{"oltp_point_select", "--db-driver=mysql"}
	switch srv.Net {
	case "unix":
		a = append(a, "--mysql-socket="+srv.Addr)
	case "", "tcp", "tcp4", "tcp6":
		host, port, err := net.SplitHostPort(srv.Addr)
		if err != nil {
			return nil, fmt.Errorf("server address %q: %w", srv.Addr, err)
		}
		a = append(a, "--mysql-host="+host, "--mysql-port="+port)
	default:
		return nil, fmt.Errorf("network %q of HUBDB_TEST_DSN is neither tcp nor unix", srv.Net)
	}
	a = append(a, "--mysql-user="+srv.User)
	if srv.Passwd != "" {
		a = append(a, "--mysql-password="+srv.Passwd)
	}
	a = append(a, "--mysql-db="+s.schema, "--tables=1", "--table-size="+strconv.Itoa(Rows))
	a = append(a, extra...)
	return append(a, cmd), nil
}

// exec runs one sysbench command and returns its output and process state.
func (s *sysbench) exec(cmd string, extra ...string) ([]byte, *exec.Cmd, error) {
	a, err := s.args(cmd, extra...)
	if err != nil {
		return nil, nil, err
	}
	c := exec.Command("sysbench", a...)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return out.Bytes(), c, fmt.Errorf("sysbench %s: %w: %s", cmd, err, lastLines(out.String(), 3))
	}
	return out.Bytes(), c, nil
}

// prepare creates bench_sb_<random> and runs sysbench prepare in it,
// once.
func (s *sysbench) prepare() error {
	if s.prepared || s.err != nil {
		return s.err
	}
	if _, err := exec.LookPath("sysbench"); err != nil {
		s.err = errors.New("sysbench is not installed (not in PATH; `make bench` installs Debian's sysbench with apt-get)")
		return s.err
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	s.schema = "bench_sb_" + hex.EncodeToString(b)
	if _, err := s.e.admin.ExecContext(context.Background(), "CREATE DATABASE "+s.schema); err != nil {
		s.err = fmt.Errorf("create %s: %w", s.schema, err)
		return s.err
	}
	s.prepared = true
	if _, _, err := s.exec("prepare"); err != nil {
		s.err = err
		return err
	}
	return nil
}

// cleanup runs sysbench cleanup and drops the database.
func (s *sysbench) cleanup(tb testing.TB) {
	if !s.prepared {
		return
	}
	_, _, _ = s.exec("cleanup") // the DROP below removes the table anyway
	if _, err := s.e.admin.ExecContext(context.Background(), "DROP DATABASE "+s.schema); err != nil {
		tb.Errorf("drop %s: %v", s.schema, err)
	}
}

// sysbenchSeconds is sysbench's --time: the -benchtime rounded up to whole
// seconds, at least 1 (sysbench counts whole seconds).
func sysbenchSeconds() int {
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return 1
	}
	d, err := time.ParseDuration(f.Value.String())
	if err != nil { // an "Nx" count
		return 1
	}
	return max(1, int(math.Ceil(d.Seconds())))
}

// measure runs sysbench on c threads for sysbenchSeconds and reports its
// queries per second as ops/s and its CPU per query as cpu-us/op. The
// run lasts at least -benchtime, so the benchmark framework calls it
// once with b.N = 1 (with an "Nx" -benchtime, twice); b.N is not used.
func (s *sysbench) measure(b *testing.B, c int) {
	if err := s.prepare(); err != nil {
		s.skip(b, err)
		return
	}
	b.ResetTimer()
	out, cmd, err := s.exec("run", "--threads="+strconv.Itoa(c),
		"--time="+strconv.Itoa(sysbenchSeconds()), "--report-interval=0")
	b.StopTimer()
	if err != nil {
		s.skip(b, err)
		return
	}
	m := sysbenchLine.FindSubmatch(out)
	if m == nil {
		s.skip(b, fmt.Errorf("no \"queries: N (X per sec.)\" in sysbench's output: %s", lastLines(string(out), 5)))
		return
	}
	queries, _ := strconv.ParseFloat(string(m[1]), 64)
	qps, _ := strconv.ParseFloat(string(m[2]), 64)
	if queries <= 0 {
		s.skip(b, errors.New("sysbench ran no queries"))
		return
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	b.ReportMetric(qps, "ops/s")
	b.ReportMetric(us(cpu)/queries, "cpu-us/op")
}

// skip prints why sysbench could not run (a reason once, not at every
// setting) and skips the benchmark.
func (s *sysbench) skip(b *testing.B, err error) {
	if msg := oneLine(err.Error()); msg != s.reported {
		fmt.Printf("sysbench: unavailable: %s\n", msg)
		s.reported = msg
	}
	b.Skip(err)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
