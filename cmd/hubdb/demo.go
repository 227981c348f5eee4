package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxprom"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/internal/scenario"
	"github.com/solarhub/hubdb/internal/seed"
	"github.com/solarhub/hubdb/migration"
)

const demoUsage = `Usage: hubdb demo [flags]

Shows in one command why hubdb exists. It migrates every database,
seeds the demo data (a second run reuses it), starts the example SolarHub
API on a loopback port with its pool metrics at /metrics, runs the
pool-exhaustion scenario of the design note (pool size 5, overflow 10,
timeout 1 s; 20, 200 and 2000 requests at once; held against scoped; hubdb
against database/sql), prints the table, writes its chart (SVG) and keeps
serving the API until Ctrl-C.

Flags:
  --addr HOST:PORT  where the API listens, on loopback (default 127.0.0.1:8080,
                    or a free port when 8080 is taken)
  --sites N         demo sites to seed (default 50, 500 devices)
  --requests N      scenario requests arriving at once; repeat for more
                    (default 20, 200 and 2000)
  --exit            stop after the table instead of serving (for CI and tests);
                    the exit status is then 1 if the scenario broke its promise
                    or its chart could not be written
  --chart FILE      write the scenario's chart there, an SVG (default
                    docs/scenario.svg when ./docs exists, as in the repository;
                    --chart '' writes none)
  --config FILE     YAML file saying where the databases live

Environment: HUBDB_DSN, HUBDB_<NAME>_DSN and HUBDB_DB_PREFIX, as for migrate.
`

// defaultDemoAddr is the API's address when --addr is not given.
const defaultDemoAddr = "127.0.0.1:8080"

// The API pools' settings where the configuration leaves them zero: 18
// pools of at most 5 connections (90) plus the scenario's 15 stay well
// inside a default max_connections of 151.
const (
	demoPoolSize     = 2
	demoPoolOverflow = 3
)

// demoOpts are the parsed flags of "hubdb demo".
type demoOpts struct {
	addr     string
	addrSet  bool
	sites    int
	requests []int
	exit     bool
	config   string
	chart    string // --chart; chartSet: given
	chartSet bool
}

// runDemo is "hubdb demo".
func runDemo(ctx context.Context, args []string, s stdio, environ []string) int {
	o, err := parseDemo(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(s.out, demoUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb demo: %v\n\n%s", err, demoUsage)
		return exitUsage
	}
	cfg, err := config.Load(o.config, environ)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: %v\n", err)
		return exitError
	}
	code, err := demo(ctx, s, cfg, o)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb demo: %v\n", err)
		return exitError
	}
	return code
}

func parseDemo(args []string) (demoOpts, error) {
	o := demoOpts{addr: defaultDemoAddr, sites: seed.DefaultSites, chart: defaultDemoChart}
	fs := flag.NewFlagSet("hubdb demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.addr, "addr", o.addr, "")
	fs.IntVar(&o.sites, "sites", o.sites, "")
	fs.Func("requests", "", func(v string) error {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || n > 10_000 {
			return fmt.Errorf("--requests %q: want a number from 1 to 10000", v)
		}
		o.requests = append(o.requests, n)
		return nil
	})
	fs.BoolVar(&o.exit, "exit", false, "")
	fs.StringVar(&o.config, "config", "", "")
	fs.StringVar(&o.chart, "chart", o.chart, "")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return o, errHelp
	case err != nil:
		return o, &usageError{msg: err.Error()}
	case fs.NArg() > 0:
		return o, usagef("unexpected argument %q", fs.Arg(0))
	case o.sites < 1 || o.sites > 1000:
		return o, usagef("--sites must be 1 to 1000")
	}
	fs.Visit(func(f *flag.Flag) {
		o.addrSet = o.addrSet || f.Name == "addr"
		o.chartSet = o.chartSet || f.Name == "chart"
	})
	if err := checkLoopbackListen(o.addr); err != nil {
		return o, &usageError{msg: err.Error()}
	}
	return o, nil
}

// checkLoopbackListen accepts only loopback listen addresses: the demo API
// is for this machine.
func checkLoopbackListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %q: the demo API listens on loopback only (e.g. 127.0.0.1:8080)", addr)
	}
	return nil
}

// demo runs the demo's steps and returns the exit status.
func demo(ctx context.Context, s stdio, cfg *config.Config, o demoOpts) (int, error) {
	start := time.Now()
	targets, err := cfg.Targets(nil)
	if err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.out, "== 1/4 Migrating %s\n", databases(len(targets)))
	if code := apply(ctx, s, &migration.Migrator{}, targets, (&migration.Migrator{}).Up); code != exitOK {
		return code, errors.New("migration failed (see above)")
	}

	log := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	metrics := dbxprom.New()
	dcfg := cfg.DBX()
	if dcfg.Defaults.Size == nil {
		dcfg.Defaults.Size = dbx.Int(demoPoolSize)
	}
	if dcfg.Defaults.Overflow == nil {
		dcfg.Defaults.Overflow = dbx.Int(demoPoolOverflow)
	}
	dcfg.Logger = log
	hub, err := gen.Open(ctx, metrics.Instrument(dcfg))
	if err != nil {
		return exitError, err
	}
	defer hub.Close()
	m := hub.Manager
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := metrics.Register(reg, m); err != nil {
		return exitError, err
	}

	fmt.Fprintf(s.out, "\n== 2/4 Seeding the demo data (%d sites, %d devices, a day of one-minute telemetry)\n",
		o.sites, o.sites*seed.DevicesPerSite)
	rep, err := seed.Run(ctx, m, seed.Config{Sites: o.sites, Progress: progressBar(s.err)})
	if err != nil {
		return exitError, fmt.Errorf("seeding: %w", err)
	}
	fmt.Fprintf(s.out, "seeded in %v: %d rows written, %d found from an earlier run\n",
		rep.Elapsed.Round(time.Millisecond), rep.Created.Rows(), rep.Reused.Rows())

	fmt.Fprintln(s.out, "\n== 3/4 Starting the SolarHub API")
	srv, url, err := startAPI(ctx, hub, reg, log, o)
	if err != nil {
		return exitError, err
	}
	defer srv.stop()
	if err := checkAPI(ctx, url); err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.out, "serving on %s (GET /healthz answered ok)\n", url)

	fmt.Fprintln(s.out, "\n== 4/4 The scenario of \"Why Connection Pools Run Out\"")
	ess, err := cfg.Database("ess")
	if err != nil {
		return exitError, err
	}
	res, err := scenario.Run(ctx, scenario.Config{
		Server: ess.Server, Schema: ess.Schema, Requests: o.requests,
		Progress: func(step string) { fmt.Fprintf(s.err, "  running %s\n", step) },
	})
	if err != nil {
		return exitError, err
	}
	fmt.Fprintln(s.out)
	res.Print(s.out)
	chartErr := writeDemoChart(s, o, res)
	if chartErr != nil {
		fmt.Fprintf(s.err, "hubdb demo: %v\n", chartErr)
	}
	printNext(s.out, url, rep, time.Since(start), o.exit)
	if o.exit {
		if res.Check() != nil || chartErr != nil {
			return exitError, nil
		}
		return exitOK, nil
	}
	<-ctx.Done()
	fmt.Fprintln(s.out, "\nstopping the API")
	return exitOK, nil
}

// progressBar returns a seed progress callback drawing a bar on w: redrawn
// in place on a terminal, a line per tenth otherwise.
func progressBar(w io.Writer) func(seed.Progress) {
	f, ok := w.(*os.File)
	tty := ok && fileIsTerminal(f)
	last := -1
	return func(p seed.Progress) {
		const width = 40
		pct := 100 * p.Done / max(p.Total, 1)
		if !tty {
			if pct/10 != last/10 || p.Done == p.Total {
				last = pct
				fmt.Fprintf(w, "seeding %3d%% (%d/%d) %s\n", pct, p.Done, p.Total, p.Step)
			}
			return
		}
		n := width * p.Done / max(p.Total, 1)
		fmt.Fprintf(w, "\rseeding [%s%s] %3d%% %-36.36s", strings.Repeat("#", n), strings.Repeat(".", width-n), pct, p.Step)
		if p.Done == p.Total {
			fmt.Fprintln(w)
		}
	}
}

// apiServer is the running example API.
type apiServer struct {
	srv  *http.Server
	done chan error
}

// startAPI serves the example API on o.addr, or on a free loopback port
// when the default address is taken.
func startAPI(ctx context.Context, hub *gen.Hub, reg *prometheus.Registry, log *slog.Logger, o demoOpts) (*apiServer, string, error) {
	handler := api.New(hub, api.Options{
		Logger:  log,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
	})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil && !o.addrSet && errors.Is(err, syscall.EADDRINUSE) {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, "", fmt.Errorf("starting the API: %w", err)
	}
	a := &apiServer{done: make(chan error, 1), srv: &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      api.DefaultRequestTimeout + 5*time.Second,
		IdleTimeout:       time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}}
	go func() { a.done <- a.srv.Serve(ln) }()
	return a, "http://" + ln.Addr().String(), nil
}

// stop shuts the API down gracefully.
func (a *apiServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
	<-a.done
}

// checkAPI asks the API's /healthz once.
func checkAPI(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the API does not answer: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the API's /healthz answered %s", resp.Status)
	}
	return nil
}

// printNext tells the user what to open next.
func printNext(w io.Writer, url string, rep seed.Report, elapsed time.Duration, exit bool) {
	site := int64(1)
	if len(rep.SiteIDs) > 0 {
		site = rep.SiteIDs[0]
	}
	day := seed.DefaultDay
	from := day.AddDate(0, 0, -(seed.KPIDays - 1))
	fmt.Fprintf(w, "\nDemo ready in %v. The SolarHub API on the seeded data:\n", elapsed.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  %s/v1/sites/%d/latest\n", url, site)
	fmt.Fprintf(w, "  %s/v1/sites/%d/kpis?from=%s&to=%s\n", url, site, from.Format(time.DateOnly), day.Format(time.DateOnly))
	fmt.Fprintf(w, "  %s/v1/sites/%d/alarms?state=active\n", url, site)
	fmt.Fprintf(w, "  %s/metrics          the pools of all %s (dbx_pool_*, dbx_connection_*)\n", url, databases(len(gen.Names)))
	fmt.Fprintf(w, "Load it and watch /metrics move:  go run ./cmd/hubdb load --workload read --dbs %d --duration 30s\n", len(gen.Names))
	fmt.Fprintln(w, "Run the scenario again:           go run ./cmd/hubdb load --workload scenario --requests 2000")
	if exit {
		return
	}
	fmt.Fprintln(w, "Serving until Ctrl-C.")
}
