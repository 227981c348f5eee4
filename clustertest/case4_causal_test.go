package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// waitTracer is a dbx.QueryTracer that times the causal waits of reads:
// the MASTER_GTID_WAIT dbx runs on a replica before a read whose token
// the replica is not known to have applied. Each wait is added to the
// *readWait that the read's ctx carries (withReadWait); statements of
// reads without one are not timed.
type waitTracer struct{}

type readWaitKey struct{}
type waitStartKey struct{}

// readWait is the causal wait time of one read.
type readWait struct {
	nanos atomic.Int64
	n     atomic.Int64
}

type waitStart struct {
	at   time.Time
	w    *readWait
	done *atomic.Bool
}

// withReadWait returns ctx carrying a new readWait for one read.
func withReadWait(ctx context.Context) (context.Context, *readWait) {
	w := &readWait{}
	return context.WithValue(ctx, readWaitKey{}, w), w
}

// TraceQueryStart implements dbx.QueryTracer.
func (waitTracer) TraceQueryStart(ctx context.Context, data dbx.TraceQueryStartData) context.Context {
	if !strings.Contains(data.Query, "MASTER_GTID_WAIT") && !strings.Contains(data.Query, "WAIT_FOR_EXECUTED_GTID_SET") {
		return ctx
	}
	w, _ := ctx.Value(readWaitKey{}).(*readWait)
	if w == nil {
		return ctx
	}
	return context.WithValue(ctx, waitStartKey{}, waitStart{at: time.Now(), w: w, done: new(atomic.Bool)})
}

// TraceQueryEnd implements dbx.QueryTracer.
func (waitTracer) TraceQueryEnd(ctx context.Context, _ dbx.TraceQueryEndData) {
	s, ok := ctx.Value(waitStartKey{}).(waitStart)
	if !ok || s.done.Swap(true) {
		return
	}
	s.w.nanos.Add(int64(time.Since(s.at)))
	s.w.n.Add(1)
}

// pairsResult is what a run of write-then-read pairs found.
type pairsResult struct {
	stale, errs  int64
	firstErr     atomic.Value
	reads, waits durations // per read: its duration; its causal wait (0: none)
	waited       atomic.Int64
	took         time.Duration
}

// runPairs runs pairs write-then-read pairs over workers goroutines, each
// on its own row of kv: the write sets v to a new value (base+i+1), the
// read, with a causal token from the write when withToken, reads it back;
// a read that sees another value is stale.
func runPairs(d *dbx.DB[dbx.DBTX], workers, pairs int, base int64, withToken bool) *pairsResult {
	res := &pairsResult{}
	var stale, errs atomic.Int64
	t0 := time.Now()
	l := startLoad(workers, pairs/workers, 5*time.Minute, func(w, i int) {
		ctx := context.Background()
		if withToken {
			ctx = dbx.WithToken(ctx, dbx.NewToken())
		}
		want := base + int64(i) + 1
		err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = ?", want, w+1)
			return err
		})
		if err != nil {
			errs.Add(1)
			res.firstErr.CompareAndSwap(nil, err.Error())
			return
		}
		rctx, rw := withReadWait(ctx)
		var got int64
		start := time.Now()
		err = d.Read(rctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", w+1).Scan(&got)
		})
		res.reads.add(time.Since(start))
		if err != nil {
			errs.Add(1)
			res.firstErr.CompareAndSwap(nil, err.Error())
			return
		}
		res.waits.add(time.Duration(rw.nanos.Load()))
		if rw.n.Load() > 0 {
			res.waited.Add(1)
		}
		if got != want {
			stale.Add(1)
		}
	})
	l.Wait()
	res.took = time.Since(t0)
	res.stale, res.errs = stale.Load(), errs.Load()
	return res
}

// TestReadYourWrites is case 4: 10,000 write-then-read pairs over 4
// goroutines, each read on a replica with the causal token of its write
// (default settings: ReplicaPoll 1 s, CausalWait 50 ms): none is stale.
// The figures: the causal wait per read (the MASTER_GTID_WAIT before it,
// timed by a tracer; 0 for a read served by a replica known to have the
// write), p50/p99 over all causal reads and over those that waited; the
// reads' own latency with and without a token; how the causal reads were
// served (known, waited, fell back to the primary). Then, for the
// record, the same 10,000 pairs without a token: how many were stale
// (not asserted).
func TestReadYourWrites(t *testing.T) {
	rs := sharedReplicaSet(t)
	const name, workers, pairs = "ct_ryw", 4, 10000
	replicaDB(t, rs, name, workers)
	m, d := openReplicaManager(t, rs, name, dbx.Pool{}, waitTracer{})

	before := replication(t, m, name)
	tok := runPairs(d, workers, pairs, 0, true)
	mid := replication(t, m, name)
	plain := runPairs(d, workers, pairs, 1_000_000, false)
	after := replication(t, m, name)

	var waitedOnly durations
	tok.waits.mu.Lock()
	for _, w := range tok.waits.d {
		if w > 0 {
			waitedOnly.add(w)
		}
	}
	tok.waits.mu.Unlock()
	known := mid.CausalKnown - before.CausalKnown
	waits := mid.CausalWaits - before.CausalWaits
	fallbacks := mid.CausalFallbacks - before.CausalFallbacks
	t.Logf("case 4: %d pairs with a token in %s: %d stale, %d errors; causal reads known %d, waited %d (dbx wait time %s), fell back to the primary %d; "+
		"causal wait per read p50 %s p99 %s, per read that waited (%d) p50 %s p99 %s; read latency with a token p50 %s p99 %s, without p50 %s p99 %s; "+
		"replica reads %d, primary reads %d; without a token: %d of %d stale (%d errors) in %s",
		pairs, tok.took.Round(time.Millisecond), tok.stale, tok.errs, known, waits, (mid.CausalWaitTime - before.CausalWaitTime).Round(time.Millisecond), fallbacks,
		ms(tok.waits.quantile(0.5)), ms(tok.waits.quantile(0.99)), waitedOnly.len(), ms(waitedOnly.quantile(0.5)), ms(waitedOnly.quantile(0.99)),
		ms(tok.reads.quantile(0.5)), ms(tok.reads.quantile(0.99)), ms(plain.reads.quantile(0.5)), ms(plain.reads.quantile(0.99)),
		mid.ReplicaReads-before.ReplicaReads, mid.PrimaryReads-before.PrimaryReads,
		plain.stale, pairs, plain.errs, plain.took.Round(time.Millisecond))
	if tok.stale != 0 {
		t.Errorf("%d of %d reads with a token were stale", tok.stale, pairs)
	}
	if tok.errs != 0 || plain.errs != 0 {
		t.Errorf("errors: %d with a token, %d without (first: %v, %v)", tok.errs, plain.errs, tok.firstErr.Load(), plain.firstErr.Load())
	}
	if known+waits+fallbacks < pairs {
		t.Errorf("the causal counters add up to %d (known %d, waits %d, fallbacks %d), want at least %d", known+waits+fallbacks, known, waits, fallbacks, pairs)
	}
	if int64(waitedOnly.len()) != waits {
		// The tracer and dbx's counter see the same waits; a difference
		// would mean a wait that is not a traced statement.
		t.Errorf("the tracer timed %d causal waits, dbx counted %d", waitedOnly.len(), waits)
	}
	if n := after.CausalKnown + after.CausalWaits + after.CausalFallbacks - (mid.CausalKnown + mid.CausalWaits + mid.CausalFallbacks); n != 0 {
		t.Errorf("%d reads without a token were counted as causal", n)
	}
}

// The environment of the helper process of case 5.
const (
	helperEnv         = "CLUSTERTEST_HELPER"   // "1": TestHelperReader runs
	helperPrimaryEnv  = "CLUSTERTEST_PRIMARY"  // the primary's DSN
	helperReplicasEnv = "CLUSTERTEST_REPLICAS" // the replicas' DSNs, space-separated
	helperDBEnv       = "CLUSTERTEST_DB"       // the database
)

// TestTokenAcrossProcesses is case 5: 200 pairs, the write in this
// process with a causal token, the read in another process with the
// token's String, parsed there with dbx.ParseToken: none stale. The other
// process is this test binary run again as TestHelperReader, started
// once: it opens its own Manager on the same primary and replicas, reads
// "<i> <token>" lines from its stdin and answers "ANSWER <i> <v>
// <server_id>" on its stdout, one per line, and its counters at EOF.
func TestTokenAcrossProcesses(t *testing.T) {
	rs := sharedReplicaSet(t)
	const name, pairs = "ct_token", 200
	replicaDB(t, rs, name, 1)
	_, d := openReplicaManager(t, rs, name, dbx.Pool{}, nil)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var dsns []string
	for _, c := range replicaConfigs(rs) {
		dsns = append(dsns, c.FormatDSN())
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestHelperReader$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperPrimaryEnv+"="+rs.Primary().DSN(),
		helperReplicasEnv+"="+strings.Join(dsns, " "), helperDBEnv+"="+name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The helper's stdout, line by line; lines not meant for this test
	// (the test framework's own) are kept for a failure's message.
	lines := make(chan string)
	var other bytes.Buffer
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(prefix string) []string {
		t.Helper()
		timeout := time.NewTimer(time.Minute)
		defer timeout.Stop()
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("the helper process ended before %q: %v\nstdout:\n%s\nstderr:\n%s", prefix, cmd.Wait(), other.String(), stderr.String())
				}
				if f := strings.Fields(line); len(f) > 0 && f[0] == prefix {
					return f[1:]
				}
				other.WriteString(line + "\n")
			case <-timeout.C:
				t.Fatalf("no %q from the helper process within a minute\nstdout:\n%s\nstderr:\n%s", prefix, other.String(), stderr.String())
			}
		}
	}
	next("READY")
	startup := time.Since(t0)

	var stale, notReplica int
	var rtt durations
	var firstStale string
	for i := 1; i <= pairs; i++ {
		ctx := dbx.WithToken(context.Background(), dbx.NewToken())
		if err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = 1", i)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := fmt.Fprintf(stdin, "%d %s\n", i, dbx.TokenFrom(ctx).String()); err != nil {
			t.Fatal(err)
		}
		f := next("ANSWER")
		rtt.add(time.Since(start))
		if len(f) != 3 || f[0] != strconv.Itoa(i) {
			t.Fatalf("pair %d: the helper answered %q", i, f)
		}
		if f[1] != strconv.Itoa(i) {
			stale++
			if firstStale == "" {
				firstStale = fmt.Sprintf("pair %d read %s on server %s", i, f[1], f[2])
			}
		}
		if f[2] == strconv.Itoa(rs.Primary().ServerID()) {
			notReplica++
		}
	}
	stdin.Close()
	stats := next("STATS")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the helper process: %v\nstdout:\n%s\nstderr:\n%s", err, other.String(), stderr.String())
	}
	t.Logf("case 5: %d pairs across processes: %d stale, %d read on the primary; helper ready in %s (one process for all pairs), "+
		"round trip (token out, answer back) p50 %s p99 %s; the helper's dbx counters: %s",
		pairs, stale, notReplica, startup.Round(time.Millisecond), ms(rtt.quantile(0.5)), ms(rtt.quantile(0.99)), strings.Join(stats, " "))
	if stale != 0 {
		t.Errorf("%d of %d reads in the other process were stale (first: %s)", stale, pairs, firstStale)
	}
}

// TestHelperReader is the reader process of TestTokenAcrossProcesses: it
// runs only when that test starts it (CLUSTERTEST_HELPER=1) and skips
// otherwise.
func TestHelperReader(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("the reader process of TestTokenAcrossProcesses: it runs only when started by it")
	}
	primary, err := mysql.ParseDSN(os.Getenv(helperPrimaryEnv))
	if err != nil {
		t.Fatal(err)
	}
	var replicas []*mysql.Config
	for _, dsn := range strings.Fields(os.Getenv(helperReplicasEnv)) {
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, c)
	}
	name := os.Getenv(helperDBEnv)
	m, d := openManager(t, dbx.Config{Logger: slog.New(slog.DiscardHandler), DBs: []dbx.DBConfig{{
		Name: name, Server: primary, Replicas: replicas,
	}}}, name)
	waitFor(t, "every replica healthy", time.Minute, func() (bool, string) {
		st := replication(t, m, name)
		return healthyCount(st.Replicas) == len(replicas), fmt.Sprintf("%+v", st.Replicas)
	})
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		if err := out.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	say("READY")
	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		i, text, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			t.Fatalf("not \"<i> <token>\": %q", line)
		}
		tok, err := dbx.ParseToken(text)
		if err != nil {
			t.Fatal(err)
		}
		var v int64
		var sid int
		if err := d.Read(dbx.WithToken(context.Background(), tok), func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v, @@server_id FROM kv WHERE k = 1").Scan(&v, &sid)
		}); err != nil {
			t.Fatal(err)
		}
		say("ANSWER %s %d %d", i, v, sid)
	}
	r := replication(t, m, name)
	say("STATS known=%d waits=%d wait_time=%s fallbacks=%d replica_reads=%d primary_reads=%d",
		r.CausalKnown, r.CausalWaits, r.CausalWaitTime.Round(time.Microsecond), r.CausalFallbacks, r.ReplicaReads, r.PrimaryReads)
}
