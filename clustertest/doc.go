// Package clustertest is the suite of `make test-cluster`: dbx's replica
// routing, read-your-writes and Galera rules, and `hubdb migrate` on a
// cluster, checked under a bounded mixed load against real private
// clusters on loopback (package internal/cluster): a MariaDB GTID
// primary with two replicas, shared by cases 1–5 and the benchmark, and
// a 3-node Galera cluster, shared by cases 6 and 7.
//
// The package has no code of its own besides this comment: its cases are
// the Test functions of its _test.go files, each of which runs only with
// HUBDB_TEST_CLUSTER=1 (cluster.SkipUnlessEnabled) and logs exactly one
// line of figures, "case N: ...":
//
//  1. TestRouting: reads land on both replicas (by @@server_id), writes
//     on the primary.
//  2. TestReplicaRestart: a replica stopped cleanly and started again
//     under load: no read error reaches a caller; it is taken out, then
//     back, and serves reads again.
//  3. TestReplicaLag: a replica whose SQL thread stops is skipped within
//     a poll interval; no read returns data older than MaxReplicaLag +
//     ReplicaPoll; started again, it is taken back.
//  4. TestReadYourWrites: 10,000 write-then-read pairs with a causal
//     token, none stale; the wait's p50/p99 and where the reads went,
//     and, for the record, the same pairs without a token.
//  5. TestTokenAcrossProcesses: the write here, the read in another
//     process (this test binary run again as TestHelperReader) with the
//     serialised token: none stale.
//  6. TestGaleraKill: a node killed, then a node isolated, under load: no
//     committed write lost, no 1047 reaching a caller, the gap reported.
//  7. TestGaleraMigrate: two `hubdb migrate up --all` through two nodes
//     at once end with one schema on every node and no dirty database,
//     or one is refused with an error naming the lock.
//
// BenchmarkCausal measures the read-your-writes wait and the health
// poller's cost, on the shared replica set, with default settings unless
// named:
//
//   - read-after-write/plain and read-after-write/token: an op is a Write
//     on the primary then a Read of its row on a replica, without a token
//     and with a fresh token from the Write; the difference in ns/op is
//     the extra latency of a causal read. read-p50-us and read-p99-us are
//     the Read's own latency, wait-p50-us and wait-p99-us its causal wait
//     (MASTER_GTID_WAIT, 0 when the replica was known to have the write),
//     stale/op the reads that missed their write, known/op, waits/op and
//     fallbacks/op how the causal reads were served.
//   - point-read/poll=1s, point-read/poll=50ms and point-read/no-replicas:
//     point reads from 8 goroutines on the replicas polled every 1 s or
//     50 ms, or on the primary with no replica configured (no poller);
//     reads/s is their throughput, polls/s how often replica1 was polled
//     and poll-queries/s the statements the poller sent it (its Questions
//     status over an idle stretch of polls).
//
// Run it with
//
//	HUBDB_TEST_CLUSTER=1 go test -run '^$' -bench '^BenchmarkCausal$' -benchtime 2000x ./clustertest/
//
// A case that breaks a node restores it, and waits until it is healthy,
// before the next one starts. Every wait is a bounded poll of real state;
// no assertion is about time: errors and stale reads are counted and
// asserted, durations are reported.
package clustertest
