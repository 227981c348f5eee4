// Package dbxprom exports the pools of a [dbx.Manager] as Prometheus
// metrics, labelled by logical database (label "db").
//
// One value serves one Manager. Give it the Manager's events before Open
// and the Manager itself after:
//
//	metrics := dbxprom.New()
//	cfg = metrics.Instrument(cfg) // chains any OnEvent hook already set
//	mgr, err := dbx.Open(ctx, cfg) // or gen.Open(ctx, cfg)
//	...
//	if err := metrics.Register(prometheus.DefaultRegisterer, mgr); err != nil { ... }
//	http.Handle("/metrics", promhttp.Handler())
//
// Gauges (read from [dbx.Manager.Status] at scrape time):
//
//	dbx_pool_connections_open       open connections (in use, idle or closing)
//	dbx_pool_connections_in_use     connections checked out by callers
//	dbx_pool_connections_idle       open connections waiting in the pool
//	dbx_pool_waiting                callers queued at the pool's gate
//	dbx_pool_connections_max        the pool's limit, Size+Overflow
//
// Per server (label "server", the address as configured; from
// [dbx.Manager.Servers] at scrape time):
//
//	dbx_server_budget_connections       the connection budget in force
//	dbx_server_connections_open         connections of all its pools
//	dbx_server_budget_waiting           callers waiting for the budget
//	dbx_server_steals_total             idle connections closed to serve another pool
//	dbx_server_budget_shrinks_total     budget lowered after a 1040
//	dbx_server_connects_refused_total   connections refused with 1040
//	dbx_server_connect_attempts_total   connections dialled
//	dbx_server_statements_prepared      statements the statement caches hold there
//	dbx_server_statements_limit         what they may hold (half of max_prepared_stmt_count)
//
// Counters (from [dbx.Event]s):
//
//	dbx_connections_acquired_total       checkouts (a caller got a connection)
//	dbx_pool_timeouts_total              callers that gave up after Pool.Timeout
//	dbx_connections_invalidated_total    connections found dead or broken
//	dbx_connection_leaks_total           connections held past Pool.LeakThreshold
//	dbx_idle_in_transaction_total        transactions idle past Pool.IdleInTxThreshold
//	dbx_connections_opened_total         physical connections opened
//	dbx_connections_closed_total         physical connections closed
//	dbx_transaction_retries_total        transactions run again after a retryable failure
//	dbx_check_warnings_total             open-time check warnings
//	dbx_statement_cache_{hits,prepares,evictions,uncached}_total
//	                                     the statement cache, per pool (from Status)
//	dbx_query_errors_total{query=...}    failed statements by sqlc name
//	dbx_slow_queries_total{query=...}    statements past Pool.SlowQueryThreshold
//
// Histograms (from [dbx.Event]s, seconds):
//
//	dbx_connection_wait_seconds    wait for a connection, per successful checkout
//	dbx_connection_hold_seconds    time a connection was held, checkout to checkin
//	dbx_transaction_duration_seconds{mode="read"|"write"}
//	                               each Read or Write attempt, BEGIN to COMMIT or ROLLBACK
//	dbx_query_duration_seconds{query=...}
//	                               each statement by its sqlc name ("-- name: X" at the
//	                               start of its text; "unnamed" without one), until its
//	                               rows were closed: the names are a fixed set, so the
//	                               series are bounded
//
// Every series but the per-query ones is created for every database at
// Register, so each of the Manager's databases shows up, at zero, before
// its first event; a query's series appear with its first statement.
package dbxprom
