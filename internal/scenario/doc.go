// Package scenario runs the pool-exhaustion scenario of the SolarHub design
// note ("Why Connection Pools Run Out") against a real server and reports
// what happened.
//
// A pool of Size 5 with Overflow 10 and a 1 s pool timeout serves N
// requests (20, 200 and 2000 by default) that arrive at once. Each request
// reads a battery's state from the ess database, asks an external service
// for a set-point (a stub HTTP server on 127.0.0.1 that answers after
// 100 ms) and writes the battery's new state. Two patterns:
//
//   - [Held]: one Write transaction spans the external call, so every
//     request keeps a connection for 100 ms doing nothing (the design
//     note's "bad" example);
//   - [Scoped]: a Read, the external call outside any transaction, then a
//     Write; a connection is held only while queries run.
//
// Every pattern and N runs twice in the same [Run]: on dbx (arrival-order
// gate, [dbx.ErrPoolTimeout], idle-in-transaction warnings) and on raw
// database/sql with the same limits (SetMaxOpenConns(15),
// SetMaxIdleConns(5), each acquisition bounded by a 1 s context on
// sql.DB.Conn), so the cost of dbx's gate is visible. A last part sends
// the held pattern a steady stream of requests above the pool's capacity,
// where the order in which waiters are served decides the latency tail:
// dbx serves them in arrival order, database/sql hands a freed connection
// to a random waiter (golang/go#31708).
//
// The theoretical best wall time of each run comes from the pool's limit
// and the transaction times measured on one idle connection before the
// runs: held, ceil(N/15)·(call + held transaction); scoped,
// max(call + read + write, N·(read + write)/15).
//
// The scenario writes only rows of its own: battery states of device ids
// from [DeviceBase] up, on site 0, which no seeded site uses. They are
// upserted, so a second run rewrites the same rows.
package scenario
