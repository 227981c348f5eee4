//go:build unix

package dbxpage

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/hubtest"
)

// chromiumTimeout bounds one run of Chromium.
const chromiumTimeout = 60 * time.Second

// TestBrowser loads the page in headless Chromium while a bounded load
// runs on the Manager, checks the rendered pools table and saves a
// screenshot (copied to $HUBDB_SCREENSHOT_DIR/dbxpage.png when that is
// set). `make chromium` (a dependency of make test) installs Debian's
// chromium; without it the test skips.
func TestBrowser(t *testing.T) {
	t.Parallel()
	browser := chromiumPath()
	if browser == "" {
		t.Skip("chromium is not installed: run `make chromium` (as root; make test does) to run the browser test of the pool page")
	}
	names := []string{"ess", "meter", "pv", "site"}
	cfg := hubtest.Empty(t, names...).Config()
	cfg.Defaults.Size, cfg.Defaults.Overflow = dbx.Int(2), dbx.Int(2)
	cfg.ServerBudget = 12 // less than the pools' 16: they share it
	for i, d := range cfg.DBs {
		if d.Name == "site" { // no load here: SlowOne's 50 ms is slow, a moment's hold a leak
			cfg.DBs[i].Pool.SlowQueryThreshold = 40 * time.Millisecond
			cfg.DBs[i].Pool.LeakThreshold = 100 * time.Millisecond
		}
	}
	rec := NewRecorder(RecorderOptions{})
	m := openManager(t, rec.Instrument(cfg))
	ctx := context.Background()

	// a warning of each common kind for the page to list
	site := bind(t, m, "site")
	var n int
	if err := site.Queries(ctx).QueryRowContext(ctx, slowSQL).Scan(&n); err != nil {
		t.Fatal(err)
	}
	err := site.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		waitFor(t, "the leak warning", func() bool { return hasWarning(rec, dbx.EventLeak, "site") })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// the load: four workers on each of three databases (twelve callers
	// for a budget of twelve, with site's idle connection), named
	// statements in a loop, until the test stops them
	const workers = 4
	loaded := []string{"ess", "meter", "pv"}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	loadErr := make(chan error, workers*len(loaded))
	for _, name := range loaded {
		d := bind(t, m, name)
		for range workers {
			wg.Go(func() {
				for loadCtx.Err() == nil {
					var v int
					err := d.Read(loadCtx, func(ctx context.Context, q dbx.DBTX) error {
						return q.QueryRowContext(ctx, fastSQL).Scan(&v)
					})
					if err != nil && loadCtx.Err() == nil {
						loadErr <- err
						return
					}
				}
			})
		}
	}
	defer func() {
		stopLoad()
		wg.Wait()
		close(loadErr)
		for err := range loadErr {
			t.Errorf("load: %v", err)
		}
	}()
	waitFor(t, "the load's first queries", func() bool {
		for _, q := range rec.Queries() {
			if q.Name == "FastOne" && q.Count >= 10 {
				return true
			}
		}
		return false
	})

	srv := httptest.NewServer(New(m, rec, Options{Title: "dbx pools: TestBrowser", Warnings: 8}))
	defer srv.Close()
	dir := t.TempDir()

	dom := runChromium(t, browser, dir, "--dump-dom", srv.URL)
	rows := poolRows(t, dom)
	for _, name := range names {
		r := rows[name]
		if r == nil {
			t.Errorf("the rendered page has no row for %s:\n%s", name, dom)
			continue
		}
		if r["size"] != "2" || r["overflow"] != "2" || r["max"] != "4" {
			t.Errorf("%s: size %s overflow %s max %s, want 2, 2, 4", name, r["size"], r["overflow"], r["max"])
		}
		for _, k := range []string{"open", "in_use", "idle"} {
			if v, err := strconv.Atoi(r[k]); err != nil || v < 0 || v > 4 {
				t.Errorf("%s: %s %q, want a number in [0, 4]", name, k, r[k])
			}
		}
		if v, err := strconv.Atoi(r["waiting"]); err != nil || v < 0 || v > workers {
			t.Errorf("%s: waiting %q, want a number in [0, %d] (the workers)", name, r["waiting"], workers)
		}
	}
	ts := tables(dom)
	totals := map[string]int{}
	for _, m := range totalRE.FindAllStringSubmatch(dom, -1) {
		totals[m[1]], _ = strconv.Atoi(m[2])
	}
	if totals["leak"] < 1 || totals["slow query"] < 1 {
		t.Errorf("the rendered warning totals %v lack a leak or a slow query", totals)
	}
	if len(ts["warnings"]) == 0 {
		t.Errorf("the rendered page lists no warning")
	}
	fast := false
	for _, r := range ts["queries"] {
		if c, err := strconv.Atoi(r.cells["count"]); r.cells["name"] == "FastOne" && err == nil && c > 0 {
			fast = true
		}
	}
	if !fast {
		t.Errorf("the rendered queries lack the load's FastOne: %v", ts["queries"])
	}

	shot := filepath.Join(dir, "dbxpage.png")
	runChromium(t, browser, dir, "--screenshot="+shot, "--window-size=1280,900", "--hide-scrollbars", srv.URL)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if out := os.Getenv("HUBDB_SCREENSHOT_DIR"); out != "" {
		if err := os.WriteFile(filepath.Join(out, "dbxpage.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot copied to %s", filepath.Join(out, "dbxpage.png"))
	}
}

// totalRE matches a warning total of the rendered page.
var totalRE = regexp.MustCompile(`<b data-kind="([^"]+)">(\d+)</b>`)

// chromiumPath returns the Chromium in PATH, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium with args, bounded by chromiumTimeout,
// in a process group of its own that is killed at the end whatever
// happened (no Chromium process outlives the call), and returns its
// standard output.
func runChromium(t *testing.T, browser, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	profile, err := os.MkdirTemp(dir, "profile-")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--user-data-dir=" + profile}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "HOME="+dir) // Chromium writes under $HOME
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Start()
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	pgid := cmd.Process.Pid
	err = cmd.Wait()
	// the launcher and its children (zygote, renderer) are in the group
	if kerr := syscall.Kill(-pgid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
		t.Errorf("kill chromium's process group: %v", kerr)
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %v did not finish within %v (killed):\n%s", args, chromiumTimeout, stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}
