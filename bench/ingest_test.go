package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/hubtest"
)

// Ingest sizes: a day of one-minute readings of ingestDevices batteries.
const (
	ingestDevices = 500
	ingestMinutes = 1440
	ingestFull    = ingestDevices * ingestMinutes // 720,000
	envIngestRows = "HUBDB_BENCH_INGEST_ROWS"
)

// ingestStart is the first reading's timestamp.
var ingestStart = time.Date(2025, 6, 21, 0, 0, 0, 0, time.UTC)

var (
	ingestRows = flag.Int("ingest-rows", envInt(envIngestRows, ingestFull),
		"BenchmarkIngest: rows to store per way (default "+envIngestRows+", else 720000: a day of one-minute readings of 500 devices)")
	ingestRounds = flag.Int("ingest-rounds", 1,
		"BenchmarkIngest: run the three ways this many times, interleaved (the order rotates); figures are medians")
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// ingestWay is one way of storing the rows. open prepares it on a freshly
// migrated ess database (schema, reached through srv or db) outside the
// clock and returns the timed part, which stores every row in one
// transaction and returns the rows it stored, and what closes what open
// opened.
type ingestWay struct {
	name string
	open func(tb testing.TB, srv *mysql.Config, schema string, db *sql.DB) (ingestFunc, func())
}

// ingestFunc stores rows in one transaction and returns how many it stored.
type ingestFunc func(ctx context.Context, rows []ess.InsertBatteryReadingParams) (int64, error)

// ingestTxTimeout is the Write deadline of the dbx ways: the single-row
// way runs for minutes.
const ingestTxTimeout = 30 * time.Minute

var ingestWays = []ingestWay{
	{"batch", func(tb testing.TB, srv *mysql.Config, schema string, _ *sql.DB) (ingestFunc, func()) {
		d, closeFn := openIngestDBX(tb, srv, schema)
		return func(ctx context.Context, rows []ess.InsertBatteryReadingParams) (int64, error) {
			return dbx.WriteValue(ctx, d, func(ctx context.Context, q *ess.Queries) (int64, error) {
				return q.InsertBatteryReadingBatch(ctx, rows)
			}, dbx.TxTimeout(ingestTxTimeout))
		}, closeFn
	}},
	{"single", func(tb testing.TB, srv *mysql.Config, schema string, _ *sql.DB) (ingestFunc, func()) {
		d, closeFn := openIngestDBX(tb, srv, schema)
		return func(ctx context.Context, rows []ess.InsertBatteryReadingParams) (int64, error) {
			return dbx.WriteValue(ctx, d, func(ctx context.Context, q *ess.Queries) (int64, error) {
				for i := range rows {
					if err := q.InsertBatteryReading(ctx, rows[i]); err != nil {
						return int64(i), err
					}
				}
				return int64(len(rows)), nil
			}, dbx.TxTimeout(ingestTxTimeout))
		}, closeFn
	}},
	{"loaddata", func(_ testing.TB, _ *mysql.Config, _ string, db *sql.DB) (ingestFunc, func()) {
		return func(ctx context.Context, rows []ess.InsertBatteryReadingParams) (int64, error) {
			return loadData(ctx, db, rows)
		}, func() {}
	}},
}

// openIngestDBX opens a dbx Manager with the default pool on the ess
// database schema and binds the generated queries; closeFn closes the
// Manager.
func openIngestDBX(tb testing.TB, srv *mysql.Config, schema string) (d *dbx.DB[*ess.Queries], closeFn func()) {
	tb.Helper()
	m, err := dbx.Open(context.Background(), dbx.Config{
		DBs:    []dbx.DBConfig{{Name: "ess", Schema: schema, Server: srv.Clone()}},
		Logger: slog.New(slog.DiscardHandler), // the single-row Write holds its connection past LeakThreshold
	})
	if err != nil {
		tb.Fatal(err)
	}
	closeFn = func() { _ = m.Close() }
	d, err = dbx.Bind(m, "ess", func(db dbx.DBTX) *ess.Queries { return ess.New(db) })
	if err != nil {
		closeFn()
		tb.Fatal(err)
	}
	return d, closeFn
}

// loadData stores rows with LOAD DATA LOCAL INFILE in one transaction of
// db, streaming them as CSV through a go-sql-driver/mysql reader handler
// (what sqlc's :copyfrom generates for MySQL), and checks that the server
// raised no warning (with LOCAL, a bad value or a duplicate key is a
// warning, not an error).
func loadData(ctx context.Context, db *sql.DB, rows []ess.InsertBatteryReadingParams) (n int64, err error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "ingest_" + hex.EncodeToString(b)
	mysql.RegisterReaderHandler(name, func() io.Reader { return &csvReader{rows: rows} })
	defer mysql.DeregisterReaderHandler(name)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	res, err := tx.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' INTO TABLE battery_readings FIELDS TERMINATED BY ','"+
		" (device_id, ts, site_id, soc_pct, power_w, temperature_c, energy_in_wh, energy_out_wh)")
	if err != nil {
		return 0, err
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, err
	}
	var warnings int
	if err = tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&warnings); err != nil {
		return 0, err
	}
	if warnings > 0 {
		return 0, fmt.Errorf("LOAD DATA raised %d warnings", warnings)
	}
	return n, tx.Commit()
}

// csvReader streams rows as the CSV lines LOAD DATA reads, formatting a
// few kilobytes of rows at a time.
type csvReader struct {
	rows []ess.InsertBatteryReadingParams
	next int
	buf  []byte
	off  int
}

func (r *csvReader) Read(p []byte) (int, error) {
	if r.off == len(r.buf) {
		if r.next == len(r.rows) {
			return 0, io.EOF
		}
		r.buf, r.off = r.buf[:0], 0
		for r.next < len(r.rows) && len(r.buf) < 32<<10 {
			r.buf = appendCSV(r.buf, &r.rows[r.next])
			r.next++
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// appendCSV appends one row as a CSV line in the column order of the LOAD
// DATA statement; the values print as the driver sends them as
// arguments (decimals by their String, floats shortest, DATETIME(6) in
// UTC).
func appendCSV(b []byte, r *ess.InsertBatteryReadingParams) []byte {
	b = strconv.AppendInt(b, r.DeviceID, 10)
	b = append(b, ',')
	b = r.Ts.UTC().AppendFormat(b, "2006-01-02 15:04:05.000000")
	b = append(b, ',')
	b = strconv.AppendInt(b, r.SiteID, 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.SocPct, 'f', -1, 64)
	b = append(b, ',')
	b = append(b, r.PowerW.String()...)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.TemperatureC, 'f', -1, 64)
	b = append(b, ',')
	b = append(b, r.EnergyInWh.String()...)
	b = append(b, ',')
	b = append(b, r.EnergyOutWh.String()...)
	return append(b, '\n')
}

// ingestData returns the first n readings of a day of one-minute readings
// of 500 batteries, minute by minute (each minute all 500 devices report,
// as a collector receives them), and what the table must hold after
// storing them: the sums of power_w (in tenths) and energy_out_wh (in
// thousandths).
func ingestData(n int) (rows []ess.InsertBatteryReadingParams, want ingestCheck) {
	rows = make([]ess.InsertBatteryReadingParams, n)
	want.rows = int64(n)
	for i := range rows {
		m, d := int64(i/ingestDevices), int64(i%ingestDevices+1)
		power := (d*131+m*17)%100001 - 50000       // -5000.0 .. 5000.0 W
		out := d*90_000_000 + m*2_300_457          // lifetime counter, Wh × 1000
		in := d*100_000_000 + m*2_500_123 + d%7*13 // lifetime counter, Wh × 1000
		rows[i] = ess.InsertBatteryReadingParams{
			DeviceID:     d,
			Ts:           ingestStart.Add(time.Duration(m) * time.Minute),
			SiteID:       d/10 + 1,
			SocPct:       float64((d*37+m*7)%1000) / 10,
			PowerW:       decimal.New(power, -1),
			TemperatureC: float64(150+(d*3+m)%300) / 10,
			EnergyInWh:   decimal.New(in, -3),
			EnergyOutWh:  decimal.New(out, -3),
		}
		want.power += power
		want.out += out
	}
	if n > 0 {
		want.first, want.last = rows[0].Ts, rows[n-1].Ts
	}
	return rows, want
}

// ingestCheck is what battery_readings must hold after an ingest.
type ingestCheck struct {
	rows        int64
	power, out  int64 // sums in tenths and thousandths
	first, last time.Time
}

// verify checks the table against want: row count, the sums of two
// decimal columns and the time range.
func (want ingestCheck) verify(ctx context.Context, db *sql.DB) error {
	var n int64
	var power, out sql.NullString
	var first, last sql.NullTime
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), SUM(power_w), SUM(energy_out_wh), MIN(ts), MAX(ts) FROM battery_readings").
		Scan(&n, &power, &out, &first, &last); err != nil {
		return err
	}
	if n != want.rows {
		return fmt.Errorf("battery_readings holds %d rows, want %d", n, want.rows)
	}
	if n == 0 {
		return nil
	}
	for _, c := range []struct {
		col  string
		got  sql.NullString
		want decimal.Decimal
	}{{"power_w", power, decimal.New(want.power, -1)}, {"energy_out_wh", out, decimal.New(want.out, -3)}} {
		got, err := decimal.NewFromString(c.got.String)
		if err != nil || !got.Equal(c.want) {
			return fmt.Errorf("SUM(%s) = %q, want %s", c.col, c.got.String, c.want)
		}
	}
	if !first.Time.Equal(want.first) || !last.Time.Equal(want.last) {
		return fmt.Errorf("ts from %v to %v, want %v to %v", first.Time, last.Time, want.first, want.last)
	}
	return nil
}

// BenchmarkIngest stores a day of one-minute readings of 500 batteries
// (720,000 rows; -ingest-rows or HUBDB_BENCH_INGEST_ROWS for fewer, the
// first minutes) into the ess database's battery_readings, three ways,
// each in one transaction on its own freshly created and migrated ess
// database (package hubtest's, dropped right after):
//
//   - batch: the generated (*ess.Queries).InsertBatteryReadingBatch with
//     all rows in one call (multi-row INSERTs of ess.BatchRows rows) inside
//     a dbx Write;
//   - single: the generated InsertBatteryReading once per row inside one
//     dbx Write;
//   - loaddata: LOAD DATA LOCAL INFILE of the rows as CSV, streamed through
//     a go-sql-driver/mysql reader handler, in one sql.Tx of a plain
//     *sql.DB (what sqlc's :copyfrom does).
//
// All three store the same rows, generated once before the clock starts;
// after each, the table must hold exactly those rows (count, two decimal
// sums, time range). It is named Ingest/rows=<n>/way=<way> and runs the
// ways -ingest-rounds times, interleaved, the order rotating by one each
// round. Run it with -benchtime 1x: each iteration stores all rows once.
//
// Each reports rows/s, wall-s and cpu-s (wall and client CPU seconds,
// user+sys from getrusage, per iteration), peak-heap-MB (the highest Go
// HeapInuse sampled every 10 ms during the ingest, above its value just
// before it, after a GC, with the rows resident: base-heap-MB) and alloc-MB
// (bytes allocated during the ingest). Its server is hubtest's
// (HUBDB_TEST_DSN, else the kit's private MariaDB).
func BenchmarkIngest(b *testing.B) {
	n := *ingestRows
	if n <= 0 {
		b.Fatalf("-ingest-rows %d: want at least 1", n)
	}
	srv := hubtest.Server(b)
	printIngestServer(b, srv)
	rows, want := ingestData(n)
	b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
		for r := range max(*ingestRounds, 1) {
			for i := range ingestWays {
				w := ingestWays[(i+r)%len(ingestWays)]
				b.Run("way="+w.name, func(b *testing.B) { measureIngest(b, srv, w, rows, want) })
			}
		}
	})
	runtime.KeepAlive(rows)
}

// printIngestServer prints the settings of srv that bound ingest speed
// (read only), for cmd/report.
func printIngestServer(b *testing.B, srv *mysql.Config) {
	connector, err := mysql.NewConnector(srv)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(connector)
	vars := []string{"innodb_buffer_pool_size", "innodb_flush_log_at_trx_commit", "innodb_log_file_size",
		"log_bin", "sync_binlog", "max_allowed_packet", "local_infile"}
	vals := make([]any, len(vars))
	strs := make([]sql.NullString, len(vars))
	for i := range strs {
		vals[i] = &strs[i]
	}
	q := "SELECT @@global." + strings.Join(vars, ", @@global.")
	if err := db.QueryRowContext(context.Background(), q).Scan(vals...); err != nil {
		b.Fatalf("reading the server's settings: %v", err)
	}
	parts := make([]string, len(vars))
	for i, v := range vars {
		parts[i] = v + "=" + strs[i].String
	}
	fmt.Printf("ingest: server %s\n", strings.Join(parts, " "))
	_ = db.Close()
}

// measureIngest runs one way b.N times, each on a new ess database.
func measureIngest(b *testing.B, srv *mysql.Config, w ingestWay, rows []ess.InsertBatteryReadingParams, want ingestCheck) {
	b.StopTimer()
	ctx := context.Background()
	var wall, cpu time.Duration
	var peak, base, alloc float64
	for range b.N {
		d := hubtest.New(b, "ess")
		db := d.DB("ess")
		run, closeFn := w.open(b, srv, d.Schema("ess"), db)

		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap0, alloc0 := ms.HeapInuse, ms.TotalAlloc
		s := startHeapSampler(10 * time.Millisecond)
		cpu0 := cpuTime()
		t0 := time.Now()
		b.StartTimer()
		got, err := run(ctx, rows)
		b.StopTimer()
		wall += time.Since(t0)
		cpu += cpuTime() - cpu0
		top := s.stop()
		runtime.ReadMemStats(&ms)
		closeFn()
		if err != nil {
			b.Fatalf("%s: %v", w.name, err)
		}
		if got != want.rows {
			b.Fatalf("%s stored %d rows, want %d", w.name, got, want.rows)
		}
		if err := want.verify(ctx, db); err != nil {
			b.Fatalf("%s: %v", w.name, err)
		}
		if top = max(top, ms.HeapInuse); top > heap0 {
			peak = max(peak, float64(top-heap0))
		}
		base = float64(heap0)
		alloc += float64(ms.TotalAlloc - alloc0)
		d.Drop() // the iteration's database holds every row: dropped now, not when b ends
	}
	const mb = 1 << 20
	b.ReportMetric(float64(want.rows)*float64(b.N)/wall.Seconds(), "rows/s")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
	b.ReportMetric(peak/mb, "peak-heap-MB")
	b.ReportMetric(base/mb, "base-heap-MB")
	b.ReportMetric(alloc/mb/float64(b.N), "alloc-MB")
}

// heapSampler records the highest Go heap in use (HeapInuse: the
// runtime/metrics heap object and unused classes) while it runs.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	read := func() {
		metrics.Read(samples)
		var inuse uint64
		for _, m := range samples {
			if m.Value.Kind() == metrics.KindUint64 {
				inuse += m.Value.Uint64()
			}
		}
		s.peak = max(s.peak, inuse)
	}
	read()
	s.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	})
	return s
}

// stop ends the sampling and returns the peak.
func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}
