package hubtest_test

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/schema"
)

// coldSource is the embedded migrations with a comment, unique to the
// call, appended to every database's last up migration: a new schema
// version for the kit, so its templates must be built.
func coldSource(b *testing.B) fs.FS {
	b.Helper()
	m := fstest.MapFS{}
	last := map[string]string{}
	err := fs.WalkDir(schema.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(schema.FS, p)
		m[p] = &fstest.MapFile{Data: data}
		if db := path.Dir(p); strings.HasSuffix(p, ".up.sql") && p > last[db] {
			last[db] = p
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	stamp := fmt.Sprintf("\n-- cold run %d\n", time.Now().UnixNano())
	for _, p := range last {
		m[p].Data = append(m[p].Data, stamp...)
	}
	return m
}

// BenchmarkKit measures how long a test waits for its databases from the
// kit (hubtest.New until it returns: ready to use) and how long their drop
// at the end of the test takes: one database (each test takes the next
// database of the registry, so all 18 sizes are averaged) or all 18;
// 1 or 8 tests in parallel; templates warm (built before timing) or cold (a
// new schema version: the first tests build them); each test ending at once
// or holding its databases for 50 ms of work first. The ways:
//
//	copy     the kit: the templates' script replayed, one round trip per test
//	migrate  golang-migrate per database and test (Kit.Migrate)
//	ahead    copies made ahead by two background makers into a stock of 8
//	         and handed out (a model of a pool of ready copies: the wait is
//	         the time to take one from the stock)
//
// Figures: p50 and p99 of the wait, p50 of the drop, tests per second.
// Needs HUBDB_TEST_DSN (the kit's private server otherwise).
func BenchmarkKit(b *testing.B) {
	for _, way := range []string{"copy", "migrate", "ahead"} {
		for _, dbs := range []int{1, len(gen.Names)} {
			for _, par := range []int{1, 8} {
				for _, temp := range []string{"warm", "cold"} {
					for _, hold := range []time.Duration{0, 50 * time.Millisecond} {
						switch {
						case way != "copy" && temp == "cold": // migrating uses no template; ahead is about warm stock
						case hold > 0 && (par == 1 || temp == "cold"):
						default:
							name := fmt.Sprintf("way=%s/dbs=%d/par=%d/templates=%s/hold=%dms", way, dbs, par, temp, hold.Milliseconds())
							b.Run(name, func(b *testing.B) { benchKit(b, way, dbs, par, temp, hold) })
						}
					}
				}
			}
		}
	}
}

// kitSet is one test's databases from the kit, with the fakeT that ends
// them.
type kitSet struct {
	t *fakeT
}

// newSet asks kit for one test's databases (Fatalf ends only that call).
func newSet(kit *hubtest.Kit, names []string) kitSet {
	t := &fakeT{name: "BenchmarkKit"}
	t.body(func() { kit.New(t, names...) })
	return kitSet{t}
}

func benchKit(b *testing.B, way string, dbs, par int, temp string, hold time.Duration) {
	kit := &hubtest.Kit{Migrate: way == "migrate"}
	if temp == "cold" {
		kit.Source = coldSource(b)
	} else {
		// Warm: every template built, outside the timing.
		s := newSet(kit, nil)
		s.t.end()
		if s.t.Failed() {
			b.Fatal(s.t.log())
		}
	}
	// Tests per worker: enough samples for a p99 without minutes per line.
	perWorker := 25
	if dbs > 1 {
		perWorker = 5
	}
	if temp == "cold" {
		perWorker = 1 // only the first tests of a new version are cold
	}
	var mu sync.Mutex
	var next int
	nextNames := func() []string {
		mu.Lock()
		defer mu.Unlock()
		next++
		if dbs == 1 {
			return []string{gen.Names[next%len(gen.Names)]}
		}
		return gen.Names
	}
	get := func() kitSet { return newSet(kit, nextNames()) }
	var stop func()
	if way == "ahead" {
		stock := make(chan kitSet, 8)
		quit := make(chan struct{})
		var makers sync.WaitGroup
		for range 2 {
			makers.Add(1)
			go func() {
				defer makers.Done()
				for {
					s := newSet(kit, nextNames())
					select {
					case stock <- s:
					case <-quit:
						s.t.end()
						return
					}
				}
			}()
		}
		// The stock is full before timing starts, as a pool made ahead is.
		for len(stock) < cap(stock) {
			time.Sleep(time.Millisecond)
		}
		get = func() kitSet { return <-stock }
		stop = func() {
			close(quit)
			makers.Wait()
			close(stock)
			for s := range stock {
				s.t.end()
			}
		}
	}
	var waits, drops []time.Duration
	var failures []string
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				t0 := time.Now()
				s := get()
				wait := time.Since(t0)
				time.Sleep(hold) // the test's work
				t1 := time.Now()
				s.t.end()
				drop := time.Since(t1)
				mu.Lock()
				waits, drops = append(waits, wait), append(drops, drop)
				if s.t.Failed() {
					failures = append(failures, s.t.log())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if stop != nil {
		stop()
	}
	if len(failures) > 0 {
		b.Fatalf("%d failures, the first: %s", len(failures), failures[0])
	}
	b.ReportMetric(msQuantile(waits, 0.50), "p50-ms")
	b.ReportMetric(msQuantile(waits, 0.99), "p99-ms")
	b.ReportMetric(msQuantile(drops, 0.50), "drop-p50-ms")
	b.ReportMetric(float64(len(waits))/elapsed.Seconds(), "tests/s")
	b.ReportMetric(float64(len(waits)), "tests")
	b.ReportMetric(0, "ns/op")
}

// msQuantile is the q-quantile of ds (nearest rank) in milliseconds.
func msQuantile(ds []time.Duration, q float64) float64 {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.999999) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i]) / float64(time.Millisecond)
}
