package chart_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/internal/chart"
)

// svgTexts parses svg as XML (failing the test if it is not well formed
// or not an <svg> document) and returns the text of its <text> elements.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	root, inText := "", false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
			if el.Name.Local == "text" {
				inText = true
				texts = append(texts, "")
			}
		case xml.EndElement:
			inText = inText && el.Name.Local != "text"
		case xml.CharData:
			if inText {
				texts[len(texts)-1] += string(el)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("the document's root is <%s>, want <svg>", root)
	}
	return texts
}

func wantTexts(t *testing.T, texts []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(texts, w) {
			t.Errorf("no text %q in the SVG; it has %q", w, texts)
		}
	}
}

func TestScenario(t *testing.T) {
	ms := time.Millisecond
	runs := []chart.ScenarioRun{
		{Pool: "hubdb", Pattern: "held", N: 20, Completed: 20, P50: 110 * ms, P99: 230 * ms, Max: 240 * ms},
		{Pool: "database/sql", Pattern: "held", N: 20, Completed: 20, P50: 112 * ms, P99: 231 * ms, Max: 236 * ms},
		{Pool: "hubdb", Pattern: "held", N: 200, Completed: 150, Failed: 50, P50: 400 * ms, P99: 990 * ms, Max: time.Second},
		{Pool: "database/sql", Pattern: "held", N: 200, Completed: 140, Failed: 58, Errors: 2, P50: 500 * ms, P99: 999 * ms, Max: time.Second},
		{Pool: "hubdb", Pattern: "scoped", N: 20, Completed: 20, P50: 105 * ms, P99: 109 * ms, Max: 110 * ms},
		{Pool: "database/sql", Pattern: "scoped", N: 20, Completed: 20, P50: 106 * ms, P99: 111 * ms, Max: 112 * ms},
		{Pool: "hubdb", Pattern: "scoped", N: 200, Completed: 200, P50: 150 * ms, P99: 190 * ms, Max: 195 * ms},
		{Pool: "database/sql", Pattern: "scoped", N: 200, Completed: 0, Failed: 200}, // nothing completed: no latency marks
	}
	svg, err := chart.Scenario("the scenario's title", runs)
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, svg)
	wantTexts(t, texts, "the scenario's title",
		"held: requests completed and failed", "scoped: requests completed and failed",
		"held: latency of completed requests", "scoped: latency of completed requests",
		"N = 20", "N = 200", "% of the N requests", "ms from arrival",
		"hubdb: completed", "hubdb: pool timeout", "database/sql: completed", "database/sql: pool timeout",
		"other error", "hubdb", "database/sql", "p50", "p99", "max")
	path := filepath.Join(t.TempDir(), "docs", "scenario.svg")
	if err := chart.WriteFile(path, svg); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, svg) {
		t.Fatalf("WriteFile: read back %d bytes (%v), want the %d written", len(b), err, len(svg))
	}
	t.Logf("%d bytes, %d texts", len(svg), len(texts))

	// Without pool errors the legend has no "other error" entry.
	svg, err = chart.Scenario("t", runs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if texts := svgTexts(t, svg); slices.Contains(texts, "other error") || slices.Contains(texts, "scoped: requests completed and failed") {
		t.Errorf("one held run without errors: texts %q", texts)
	}
}

// TestEmpty: nothing to draw is an error wrapping ErrNoData, and no file
// is written.
func TestEmpty(t *testing.T) {
	for name, draw := range map[string]func() ([]byte, error){
		"no runs": func() ([]byte, error) { return chart.Scenario("t", nil) },
		"runs of N = 0": func() ([]byte, error) {
			return chart.Scenario("t", []chart.ScenarioRun{{Pool: "hubdb", Pattern: "held"}})
		},
		"no panels":        chart.Bars{Title: "t", Series: []string{"a"}}.SVG,
		"no values":        chart.Bars{Title: "t", Series: []string{"a"}, Panels: []chart.BarPanel{{Title: "p", Groups: []string{"g"}}}}.SVG,
		"only NaN and <=0": chart.Bars{Title: "t", Series: []string{"a"}, Panels: []chart.BarPanel{{Title: "p", Groups: []string{"g", "h"}, Values: map[string][]float64{"a": {math.NaN(), 0}}}}}.SVG,
	} {
		svg, err := draw()
		if !errors.Is(err, chart.ErrNoData) || svg != nil {
			t.Errorf("%s: %d bytes, error %v; want none and ErrNoData", name, len(svg), err)
		}
	}
	path := filepath.Join(t.TempDir(), "empty.svg")
	if err := chart.WriteFile(path, nil); !errors.Is(err, chart.ErrNoData) {
		t.Errorf("WriteFile(nil) = %v, want ErrNoData", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteFile(nil) left %s (stat: %v)", path, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 0 {
		t.Errorf("WriteFile(nil) left %v", ents)
	}
}

func TestBars(t *testing.T) {
	b := chart.Bars{
		Title:  "throughput relative to raw-prepared",
		YLabel: "ops/s ÷ raw-prepared's",
		Series: []string{"raw-prepared", "hubdb", "sysbench"},
		Ref:    1, RefLabel: "= raw-prepared",
		Cols: 2,
		Panels: []chart.BarPanel{
			{Title: "point, ctx=cancel", Groups: []string{"c = 1", "c = 16"},
				Values: map[string][]float64{"raw-prepared": {1, 1}, "hubdb": {0.97, 1.02}, "sysbench": {1.4, 2.1}}},
			{Title: "readtx, ctx=cancel", Groups: []string{"c = 1", "c = 16"},
				Values: map[string][]float64{"raw-prepared": {1, 1}, "hubdb": {1.01, math.NaN()}}},
			{Title: "writetx, ctx=cancel", Groups: []string{"c = 1"},
				Values: map[string][]float64{"raw-prepared": {1}, "hubdb": {0.99}}},
		},
	}
	svg, err := b.SVG()
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, svg)
	wantTexts(t, texts, "throughput relative to raw-prepared", "ops/s ÷ raw-prepared's",
		"point, ctx=cancel", "readtx, ctx=cancel", "writetx, ctx=cancel", "c = 1", "c = 16",
		"raw-prepared", "hubdb", "sysbench", "= raw-prepared")
	if !strings.Contains(string(svg), `viewBox="0 0 730 560"`) {
		t.Errorf("2 columns and 2 rows: want a 730x560 canvas, got %.200s", svg)
	}
}

// TestLibraryHasNoPlot: no package of the library imports gonum/plot, or
// this package, directly or not; only commands may.
func TestLibraryHasNoPlot(t *testing.T) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.Command("go", "list", "-deps", "./dbx/...", "./gen/...", "./hubtest/...", "./config/...", "./migration/...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "gonum.org/") || pkg == "github.com/solarhub/hubdb/internal/chart" {
			t.Errorf("the library imports %s", pkg)
		}
	}
}
