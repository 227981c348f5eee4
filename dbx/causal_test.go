package dbx

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestGTIDSet: MariaDB and MySQL positions parse, compare per domain and
// print back.
func TestGTIDSet(t *testing.T) {
	g := parseGTIDSet("0-1-100,1-2-7")
	if g.String() != "0-1-100,1-2-7" {
		t.Errorf("String %q", g.String())
	}
	for _, tc := range []struct {
		want string
		ok   bool
	}{
		{"0-1-100", true}, {"0-3-99", true}, {"0-1-101", false}, {"1-2-7,0-1-5", true}, {"2-1-1", false}, {"", true},
	} {
		if got := g.covers(parseGTIDSet(tc.want)); got != tc.ok {
			t.Errorf("%q covers %q = %v, want %v", g, tc.want, got, tc.ok)
		}
	}
	m := parseGTIDSet("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18, 2174B383-5441-11E8-B90A-C80AA9429562:1-3")
	if m["3E11FA47-71CA-11E1-9E33-C80AA9429562"].seq != 18 || m["2174B383-5441-11E8-B90A-C80AA9429562"].seq != 3 {
		t.Errorf("MySQL set parsed as %v", m)
	}
	if mysqlSet(m) != "2174B383-5441-11E8-B90A-C80AA9429562:1-3,3E11FA47-71CA-11E1-9E33-C80AA9429562:1-18" {
		t.Errorf("mysqlSet %q", mysqlSet(m))
	}
}

// TestTokenRoundTrip: a token's text carries every database's position,
// is safe in a cookie, parses back equal, and bad text is refused.
func TestTokenRoundTrip(t *testing.T) {
	tok := NewToken()
	tok.record("ess", parseGTIDSet("0-1-100"))
	tok.record("ess", parseGTIDSet("0-1-90,1-1-4")) // older in domain 0: kept at 100
	tok.record("pv", parseGTIDSet("0-1-7"))
	s := tok.String()
	if s != "c1|ess/0-1-100+1-1-4|pv/0-1-7" {
		t.Fatalf("String %q", s)
	}
	if strings.ContainsAny(s, " ,;\"\\") {
		t.Errorf("%q is not cookie-safe", s)
	}
	back, err := ParseToken(s)
	if err != nil || back.String() != s {
		t.Fatalf("ParseToken(%q) = %v, %v", s, back, err)
	}
	ctx := WithToken(context.Background(), back)
	if TokenFrom(ctx).position("ess").String() != "0-1-100,1-1-4" || TokenFrom(ctx).position("alarm") != nil {
		t.Errorf("positions from ctx: %v", TokenFrom(ctx).pos)
	}
	merged := NewToken()
	merged.record("ess", parseGTIDSet("0-1-120"))
	merged.Merge(back)
	if merged.String() != "c1|ess/0-1-120+1-1-4|pv/0-1-7" {
		t.Errorf("Merge: %q", merged.String())
	}
	for _, bad := range []string{"x", "c2|ess/0-1-1", "c1|ess", "c1|/0-1-1", "c1|ess/zzz"} {
		if _, err := ParseToken(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("ParseToken(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	if e, err := ParseToken(""); err != nil || !e.Empty() {
		t.Errorf("ParseToken(\"\") = %v, %v", e, err)
	}
}
