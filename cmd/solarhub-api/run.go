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
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxpage"
	"github.com/solarhub/hubdb/dbx/dbxprom"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/internal/seed"
)

// Environment variables read by run (flags win).
const (
	envAddr   = "SOLARHUB_API_ADDR"
	envConfig = "HUBDB_CONFIG"
	envTrace  = "SOLARHUB_API_TRACE"
)

// run parses args, opens the pools, optionally seeds, and serves until ctx
// ends. It returns the exit status: 0, 1 for a failure, 2 for bad usage.
func run(ctx context.Context, args, environ []string, stderr io.Writer) int {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	fs := flag.NewFlagSet("solarhub-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", or(env[envAddr], ":8080"), "listen address (env "+envAddr+")")
	cfgPath := fs.String("config", env[envConfig], "YAML config file (env "+envConfig+")")
	timeout := fs.Duration("request-timeout", api.DefaultRequestTimeout, "deadline of each request")
	doSeed := fs.Bool("seed", false, "seed the demo data before serving (reuses existing data)")
	verbose := fs.Bool("v", false, "log pool events at debug level")
	traceTo := fs.String("trace", env[envTrace], "export OpenTelemetry traces: \"stdout\" (JSON spans on stderr) or \"\" for none (env "+envTrace+")")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "solarhub-api: unexpected arguments %q\n", fs.Args())
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	tr, err := tracingFor(*traceTo, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "solarhub-api: %v\n", err)
		return 2
	}
	defer func() {
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tr.shutdown(shutCtx); err != nil {
			log.Warn("solarhub-api: flush traces: " + err.Error())
		}
	}()
	if err := serve(ctx, log, tr, *addr, *cfgPath, environ, *timeout, *doSeed, stderr); err != nil {
		log.Error("solarhub-api: " + err.Error())
		return 1
	}
	return 0
}

// serve does run's work.
func serve(ctx context.Context, log *slog.Logger, tr *tracing, addr, cfgPath string, environ []string,
	timeout time.Duration, doSeed bool, stderr io.Writer,
) error {
	conf, err := config.Load(cfgPath, environ)
	if err != nil {
		return err
	}
	metrics := dbxprom.New()
	rec := dbxpage.NewRecorder(dbxpage.RecorderOptions{}) // warnings and query latencies for /debug/dbx
	cfg := tr.instrument(rec.Instrument(metrics.Instrument(conf.DBX())))
	cfg.Logger = log
	// The API opens only the databases its handlers use; -seed writes
	// others too (account, tariff), so it opens every database.
	dbs := api.Databases
	if doSeed {
		dbs = nil
	}
	hub, err := gen.Open(ctx, cfg, dbs...)
	if err != nil {
		return err
	}
	defer hub.Close()
	m := hub.Manager
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := metrics.Register(reg, m); err != nil {
		return err
	}
	if doSeed {
		if err := seedDemo(ctx, m, stderr); err != nil {
			return err
		}
	}
	handler := api.New(hub, api.Options{
		Logger: log, RequestTimeout: timeout,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
	})
	srv := &http.Server{
		Addr: addr, Handler: tr.handler(withDebugPage(handler, dbxpage.New(m, rec, dbxpage.Options{Title: "solarhub-api pools"}))),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: timeout + 5*time.Second, IdleTimeout: time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("solarhub-api: listening", "addr", ln.Addr().String(), "databases", len(m.Names()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("solarhub-api: shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// seedDemo seeds the demo data with a progress bar on stderr.
func seedDemo(ctx context.Context, m *dbx.Manager, stderr io.Writer) error {
	rep, err := seed.Run(ctx, m, seed.Config{Progress: func(p seed.Progress) {
		const width = 40
		n := width * p.Done / p.Total
		fmt.Fprintf(stderr, "\rseeding [%s%s] %3d%% %-32s", strings.Repeat("#", n), strings.Repeat(".", width-n),
			100*p.Done/p.Total, p.Step)
	}})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "seeded in %v: %d rows written, %d reused (%d sites, %d devices, %d readings)\n",
		rep.Elapsed.Round(time.Millisecond), rep.Created.Rows(), rep.Reused.Rows(),
		rep.Created.Sites+rep.Reused.Sites, rep.Created.Devices+rep.Reused.Devices,
		rep.Created.Readings()+rep.Reused.Readings())
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
