package cluster

import (
	"context"
	"os"
	"testing"
	"time"
)

// EnableEnv is the environment variable that turns the cluster tests on
// (`make test-cluster` sets it): they start real clusters, a minute or
// more of a small machine, so a plain `go test ./...` skips them.
const EnableEnv = "HUBDB_TEST_CLUSTER"

// SkipUnlessEnabled skips t, saying how to run it, unless EnableEnv=1.
func SkipUnlessEnabled(t testing.TB) {
	t.Helper()
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("starts real MariaDB clusters: run with %s=1 (make test-cluster)", EnableEnv)
	}
}

// ForTestTimeout bounds StartReplicaSet and StartGalera in the ForTest
// helpers.
const ForTestTimeout = 5 * time.Minute

// ReplicaSetForTest starts a replica set (opts: at most one; default 2
// replicas) with t.Logf as its log, fails t when it cannot, and closes it
// in t.Cleanup; when t has failed, the cleanup first logs every node's
// error log tail.
func ReplicaSetForTest(t testing.TB, opts ...ReplicaSetOptions) *ReplicaSet {
	t.Helper()
	var o ReplicaSetOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	return forTest(t, "the replica set", func(ctx context.Context) (*ReplicaSet, error) { return StartReplicaSet(ctx, o) })
}

// GaleraForTest starts a Galera cluster (opts: at most one; default 3
// nodes) with t.Logf as its log, fails t when it cannot (a missing
// package is named: it is not a skip), and closes it in t.Cleanup; when t
// has failed, the cleanup first logs every node's error log tail.
func GaleraForTest(t testing.TB, opts ...GaleraOptions) *Galera {
	t.Helper()
	var o GaleraOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	return forTest(t, "the Galera cluster", func(ctx context.Context) (*Galera, error) { return StartGalera(ctx, o) })
}

// testCluster is what forTest starts and closes.
type testCluster interface {
	Nodes() []*Node
	Close() error
}

// forTest starts a cluster within ForTestTimeout, fails t when it cannot,
// and closes it in t.Cleanup, logging its nodes' error logs first when t
// failed.
func forTest[C testCluster](t testing.TB, what string, start func(context.Context) (C, error)) C {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ForTestTimeout)
	defer cancel()
	c, err := start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logNodes(t, c.Nodes())
		}
		if err := c.Close(); err != nil {
			t.Errorf("close %s: %v", what, err)
		}
	})
	return c
}

func logNodes(t testing.TB, nodes []*Node) {
	for _, n := range nodes {
		t.Logf("--- %s (127.0.0.1:%d, running=%v) error log, last lines ---\n%s", n.Name(), n.Port(), n.Running(), n.ErrorLog(4000))
	}
}
