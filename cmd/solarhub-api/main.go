// Command solarhub-api serves the SolarHub example HTTP API (package api)
// with the pool metrics at /metrics and the live pool page (dbxpage) at
// /debug/dbx, to loopback clients only (see withDebugPage). It opens only
// the databases the API uses (api.Databases), or all of the registry's
// with -seed.
//
//	solarhub-api [-addr :8080] [-config hubdb.yaml] [-seed]
//
// The databases come from the HUBDB_* environment and the optional config
// file, as for `hubdb migrate`; they must be migrated. -seed fills them
// with the demo data first (internal/seed; a second run reuses it).
// SIGINT or SIGTERM shut the server down gracefully.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stderr)
	stop()
	os.Exit(code)
}
