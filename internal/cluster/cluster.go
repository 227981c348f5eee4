// Package cluster starts and breaks private MariaDB clusters on loopback:
// a GTID primary with replicas ([StartReplicaSet]) and a Galera cluster
// ([StartGalera]). It is test infrastructure for `make test-cluster`, the
// suite that checks dbx's replica routing, read-your-writes and Galera
// health rules against real servers, and nothing else uses it.
//
// Every instance is a mariadbd started with --no-defaults on a free
// 127.0.0.1 port, in a directory of its own under one temporary directory
// per cluster (on /dev/shm when it has room). All instances of a cluster
// copy one datadir made by a single mariadb-install-db. The processes are
// killed by Close, by the t.Cleanup of [ReplicaSetForTest] and
// [GaleraForTest], and by the kernel when the test process dies (a parent
// death signal); a directory left by a process killed before its cleanup
// ran is swept by the next start.
//
// Nodes are broken on purpose with [Node.Kill], [Node.Stop],
// [Node.StopSQLThread] (replica lag) and [Node.Isolate] (a Galera node cut
// off from its cluster), and brought back with [Node.Start],
// [Node.StartSQLThread] and [Node.Heal]. Every wait polls the servers'
// own state within a bound; none sleeps for a fixed time.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/solarhub/hubdb/internal/devdb"
)

// dirPrefix begins the name of every cluster directory; the stale sweep
// looks at nothing else.
const dirPrefix = "hubdb-cluster-"

// DefaultStartTimeout bounds the start of one instance (its readiness, a
// Galera joiner's state transfer included) when the options give none.
const DefaultStartTimeout = 2 * time.Minute

// shmMinFree is the room /dev/shm must have left to be chosen as the base
// directory: six instances take about 100 MB each.
const shmMinFree = 2 << 30

// DirEnv, when set, is the default of the options' Dir: where cluster
// directories go when a caller names none (a CI without a roomy /dev/shm).
const DirEnv = "HUBDB_CLUSTER_DIR"

// baseDir picks where cluster directories go: dir when given, else
// $HUBDB_CLUSTER_DIR, else /dev/shm when it is a writable tmpfs with
// room, else os.TempDir().
func baseDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(DirEnv)
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("cluster: %w", err)
		}
		return dir, nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && uint64(st.Bavail)*uint64(st.Bsize) >= shmMinFree {
		if f, err := os.CreateTemp("/dev/shm", dirPrefix+"probe-"); err == nil {
			name := f.Name()
			f.Close()
			os.Remove(name)
			return "/dev/shm", nil
		}
	}
	return os.TempDir(), nil
}

// workDir is the directory of one cluster: unique, swept when its owner
// has died, removed by Close.
type workDir struct {
	path string
	lock *os.File // flock held while the cluster lives
}

// newWorkDir sweeps stale cluster directories under base, then makes a
// new one, locked by this process, readable by the mysql user.
func newWorkDir(base, kind string, logf func(string, ...any)) (*workDir, error) {
	base, err := baseDir(base)
	if err != nil {
		return nil, err
	}
	sweep(base, logf)
	path, err := os.MkdirTemp(base, dirPrefix+kind+"-")
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	// Galera nodes run as mysql and must reach their directories.
	if err := os.Chmod(path, 0o755); err != nil {
		os.RemoveAll(path)
		return nil, fmt.Errorf("cluster: %w", err)
	}
	// Go opens files close-on-exec: the servers do not inherit the lock,
	// so it is free the moment this process is gone, servers or not.
	lock, err := os.OpenFile(filepath.Join(path, "owner.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(path)
		return nil, fmt.Errorf("cluster: lock %s: %w", path, err)
	}
	fmt.Fprintf(lock, "%d\n", os.Getpid())
	return &workDir{path: path, lock: lock}, nil
}

// remove deletes the directory and releases its lock.
func (w *workDir) remove() error {
	err := os.RemoveAll(w.path)
	w.lock.Close()
	if err != nil {
		return fmt.Errorf("cluster: remove %s: %w", w.path, err)
	}
	return nil
}

// sweep removes the cluster directories under base whose owner process
// has ended (its flock is free), first killing any mariadbd still running
// from them: a run killed before its cleanup must not leave servers and
// RAM behind for the next one. Directories of live processes, this one's
// and other runs', are left alone.
func sweep(base string, logf func(string, ...any)) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		f, err := os.OpenFile(filepath.Join(dir, "owner.lock"), os.O_RDWR, 0)
		if err != nil {
			continue // being made right now, or not ours
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close()
			continue // its owner lives
		}
		killed := killStale(dir)
		err = os.RemoveAll(dir)
		f.Close()
		if logf != nil {
			logf("cluster: swept stale %s (its owner is gone; %d processes left from it killed; remove: %v)", dir, killed, err)
		}
	}
}

// killStale SIGKILLs every process whose command line names dir (its
// mariadbd, an SST script, an rsync daemon: the directory's random name
// is in their arguments, and in no one else's) and returns how many.
func killStale(dir string) int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	n := 0
	for _, pc := range procs {
		cmdline, err := os.ReadFile(pc)
		if err != nil || !strings.Contains(string(cmdline), dir+"/") {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(pc)))
		if err != nil || pid <= 1 || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// bootstrap runs mariadb-install-db once into dir/template; every instance
// of the cluster then copies it.
func bootstrap(ctx context.Context, dir string) (string, error) {
	_, installBin, err := devdb.Binaries()
	if err != nil {
		return "", fmt.Errorf("cluster: %w", err)
	}
	tpl := filepath.Join(dir, "template")
	args := []string{"--no-defaults", "--datadir=" + tpl,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
		"--innodb-log-file-size=" + innodbLogFileSize, "--innodb-buffer-pool-size=32M", "--performance-schema=0"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	out, err := exec.CommandContext(ctx, installBin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("cluster: mariadb-install-db into %s: %w\n%s", tpl, err, tail(out, 2000))
	}
	return tpl, nil
}

// copyTree copies the regular files and directories under src to dst
// (cp -a of a datadir, which holds nothing else), handing them to uid:gid
// when uid >= 0.
func copyTree(src, dst string, uid, gid int) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, info.Mode().Perm()|0o700); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(path, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil
		}
		if uid >= 0 {
			return os.Lchown(target, uid, gid)
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// runAs is the user mariadbd runs as.
type runAs struct {
	name     string // for --user
	uid, gid int    // -1: this process's own
}

// rootOrSelf runs as root when this process is root (like devdb), else as
// this process's user.
func rootOrSelf() runAs {
	if os.Geteuid() == 0 {
		return runAs{name: "root", uid: -1, gid: -1}
	}
	return runAs{uid: -1, gid: -1}
}

// mysqlOrSelf runs as the mysql user when this process is root (rsync SST
// needs the datadir writable by the user mariadbd runs as, and as root the
// rsync daemon drops to nobody), else as this process's user.
func mysqlOrSelf() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{uid: -1, gid: -1}, nil
	}
	u, err := user.Lookup("mysql")
	if err != nil {
		return runAs{}, fmt.Errorf("cluster: Galera nodes run as the mysql user (rsync SST): %w; it comes with Debian's mariadb-server package (apt-get install -y mariadb-server)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return runAs{name: "mysql", uid: uid, gid: gid}, nil
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// parallel runs fn for every index in [0, n) at once and returns the
// errors joined.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// since formats the time since t in seconds for the progress log.
func since(t time.Time) string {
	return fmt.Sprintf("%.1fs", time.Since(t).Seconds())
}
