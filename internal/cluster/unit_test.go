package cluster

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests start no server: they run in every `go test`.

func TestFreePortsDistinctBelowEphemeral(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		ps, err := freePorts(3)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if seen[p] {
				t.Fatalf("port %d handed out twice", p)
			}
			seen[p] = true
			if p == 3306 || p < portLow || p >= ephemeralLow() {
				t.Fatalf("port %d outside [%d, %d)", p, portLow, ephemeralLow())
			}
		}
	}
}

// A directory whose owner has died is swept with the processes still
// running from it; a live owner's directory is left alone.
func TestSweepStale(t *testing.T) {
	base := t.TempDir()
	stale := filepath.Join(base, dirPrefix+"repl-stale")
	if err := os.MkdirAll(filepath.Join(stale, "primary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "owner.lock"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A stand-in for a mariadbd left running: its command line names the
	// directory, like --datadir does.
	orphan := exec.Command("sh", "-c", "sleep 600; : "+stale+"/primary/data")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { orphan.Wait(); close(exited) }()
	t.Cleanup(func() { _ = syscall.Kill(-orphan.Process.Pid, syscall.SIGKILL) })

	live, err := newWorkDir(base, "galera", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer live.remove()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the stale directory's process still runs")
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale directory still there: %v", err)
	}
	// A second start sweeps nothing of the live one.
	other, err := newWorkDir(base, "repl", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer other.remove()
	if _, err := os.Stat(live.path); err != nil {
		t.Fatalf("live cluster directory swept: %v", err)
	}
}

// A port taken between the check and mariadbd's bind is retried on
// another.
func TestPortClashRetried(t *testing.T) {
	SkipUnlessEnabled(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	var handed atomic.Bool // the nodes start at once
	sqlPorts = func(n int) ([]int, error) {
		if handed.CompareAndSwap(false, true) {
			return []int{taken}, nil
		}
		return freePorts(n)
	}
	defer func() { sqlPorts = freePorts }()
	rs := ReplicaSetForTest(t, ReplicaSetOptions{Replicas: 1})
	for _, n := range rs.Nodes() {
		if n.Port() == taken {
			t.Fatalf("%s on the taken port %d", n.Name(), taken)
		}
	}
	if !handed.Load() {
		t.Fatal("the taken port was never handed out")
	}
}
