package testdb

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/solarhub/hubdb/internal/devdb"
)

// TestIdleStop: the private server's event keeps it up while a client is
// connected and shuts it down once none has been, for the checks in a row.
// (On a server of its own: the user's private server is shared.)
func TestIdleStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB of its own")
	}
	if _, _, err := devdb.Binaries(); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	srv, err := devdb.Start(ctx, devdb.Options{Args: privateArgs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	client := sql.OpenDB(mustConnector(adminConfig(srv.Config())))
	defer client.Close()
	client.SetMaxOpenConns(1)
	if err := installIdleStop(ctx, client, time.Second, 2); err != nil {
		t.Fatal(err)
	}
	// While this client is connected the server stays up: the event has run
	// at least three times (its counter was reset each time) and the server
	// still answers.
	conn, err := client.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "three runs of the idle event", func() bool {
		var n int
		// Every run of the event resets the counter; count runs through the
		// server's own status of executed events.
		err := conn.QueryRowContext(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'EXECUTED_EVENTS'").Scan(&n)
		return err == nil && n >= 3
	})
	var checks int
	if err := conn.QueryRowContext(ctx, "SELECT checks FROM "+quoteIdent(metaSchema)+".idle").Scan(&checks); err != nil || checks != 0 {
		t.Fatalf("with a client connected the idle count is %d (%v), want 0", checks, err)
	}
	_ = conn.Close()
	_ = client.Close()
	// No client: the server shuts itself down.
	waitFor(t, 2*time.Minute, "the server to stop itself", func() bool {
		return !processAlive(srv.PID())
	})
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
