// Package api is the SolarHub example HTTP API: a small net/http service
// on the hub's typed databases, written as the reference for application
// teams. JSON in and out; every input is validated (bad input is a 400 with
// a JSON reason, an unknown id a 404); each request runs under a deadline
// derived from the request's context; a pool timeout
// ([dbx.ErrPoolTimeout]) is a 503 with Retry-After.
//
// Endpoints (see [New]):
//
//	GET  /healthz                                           pings every pool
//	GET  /metrics                                           Prometheus metrics (Options.Metrics)
//	GET  /v1/sites/{site}/latest                            newest PV, battery and meter readings
//	GET  /v1/sites/{site}/batteries/{device}/curve?date=D   a battery's day: SoC and power per sample
//	PUT  /v1/sites/{site}/batteries/{device}/schedule/{date} upsert a battery's charge schedule for a day
//	GET  /v1/sites/{site}/alarms?state=&severity=&after=&limit=  alarms, keyset-paginated by id
//	POST /v1/alarms/{alarm}/ack                             acknowledge an active alarm
//	GET  /v1/sites/{site}/kpis?from=D&to=D                  KPI summary and daily KPIs
//
// Patterns worth copying: one read-only transaction per database
// (dbx.DB.Read) for reads, run concurrently when a response needs several
// databases; one Write per unit of change; no transaction held across
// anything but its own queries; errors mapped to status codes in one place
// (errors.go).
package api
