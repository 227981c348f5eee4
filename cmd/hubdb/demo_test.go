package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/gen"
)

// TestDemo runs the demo twice with --exit on 2 sites and N = 20 and 200:
// the first run migrates, seeds, serves the API (it checks /healthz) and
// prints the scenario table; the second finds everything in place.
func TestDemo(t *testing.T) {
	env, _ := reservedEnv(t) // no database exists yet: the demo creates them
	args := []string{"demo", "--exit", "--addr", "127.0.0.1:0", "--sites", "2", "--requests", "20", "--requests", "200"}

	n := len(gen.Names)
	r := hubdb(t, env, nil, args...)
	wantCode(t, r, exitOK)
	for _, want := range []string{
		fmt.Sprintf(`(?m)^== 1/4 Migrating %d databases$`, n),
		fmt.Sprintf(`(?m)^\[%d/%d\] [a-z]+ +- -> \d+ `, n, n),
		`(?m)^seeded in \S+: [1-9]\d* rows written, 0 found from an earlier run$`,
		`(?m)^serving on http://127\.0\.0\.1:\d+ \(GET /healthz answered ok\)$`,
		`(?m)^ +held +200 +hubdb +\d+ +[1-9]\d* `, // pool timeouts
		`(?m)^ +scoped +200 +hubdb +200 +0 `,
		`(?m)^Overload: held requests arriving steadily`,
		`(?m)^  http://127\.0\.0\.1:\d+/v1/sites/\d+/latest$`,
		`(?m)^  http://127\.0\.0\.1:\d+/metrics `,
	} {
		if !regexp.MustCompile(want).MatchString(r.out) {
			t.Errorf("first run's output lacks %s:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "NOT AS EXPECTED") || strings.Contains(r.out, "Serving until Ctrl-C") {
		t.Errorf("first run broke a promise or claims to keep serving with --exit:\n%s", r.out)
	}
	if !strings.Contains(r.err, "seeding 100%") {
		t.Errorf("no progress bar reached 100%% on stderr:\n%s", r.err)
	}

	r = hubdb(t, env, nil, "demo", "--exit", "--addr", "127.0.0.1:0", "--sites", "2", "--requests", "20")
	wantCode(t, r, exitOK)
	for _, want := range []string{
		fmt.Sprintf(`(?m)^\[%d/%d\] [a-z]+ +2 -> 2 `, n, n),
		`(?m)^seeded in \S+: 0 rows written, [1-9]\d* found from an earlier run$`,
		`(?m)^ +scoped +20 +hubdb +20 +0 `,
	} {
		if !regexp.MustCompile(want).MatchString(r.out) {
			t.Errorf("second run's output lacks %s:\n%s", want, r.out)
		}
	}
}

func TestDemoUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:8080"}, "listens on loopback only"},
		{[]string{"--addr", "8080"}, `--addr "8080"`},
		{[]string{"--sites", "0"}, "--sites must be 1 to 1000"},
		{[]string{"--requests", "0"}, "want a number from 1 to 10000"},
		{[]string{"now"}, `unexpected argument "now"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := hubdb(t, []string{"HUBDB_DSN=root@tcp(127.0.0.1:1)/"}, nil, append([]string{"demo"}, tc.args...)...)
			wantCode(t, r, exitUsage)
			if !strings.Contains(r.err, tc.want) || !strings.Contains(r.err, "Usage: hubdb demo") {
				t.Errorf("stderr lacks %q and the usage:\n%s", tc.want, r.err)
			}
		})
	}
}
