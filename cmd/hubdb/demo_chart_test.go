package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/internal/chart"
	"github.com/solarhub/hubdb/internal/scenario"
)

// demoReport is a small scenario report: held and scoped at N = 20 and
// 200 on both pools, and the overload.
func demoReport() *scenario.Report {
	ms := time.Millisecond
	cfg := scenario.Config{Size: 5, Overflow: 10, Timeout: time.Second, CallLatency: 100 * ms}
	rep := &scenario.Report{Config: cfg}
	for _, p := range []scenario.Pattern{scenario.Held, scenario.Scoped} {
		for _, n := range []int{20, 200} {
			for _, impl := range []scenario.Impl{scenario.DBX, scenario.Raw} {
				r := scenario.Result{Impl: impl, Pattern: p, N: n, Completed: n, P50: 110 * ms, P99: 220 * ms, Max: 230 * ms}
				if p == scenario.Held && n == 200 {
					r.Completed, r.Failed = 150, 50
				}
				rep.Results = append(rep.Results, r)
			}
		}
	}
	for _, impl := range []scenario.Impl{scenario.DBX, scenario.Raw} {
		rep.Overload = append(rep.Overload, scenario.Result{Impl: impl, Pattern: scenario.Held, N: 398, Rate: 199,
			Completed: 390, Failed: 8, P50: 300 * ms, P99: 900 * ms, Max: 990 * ms})
	}
	return rep
}

// TestDemoChart: the demo's chart of a small report is an SVG with the
// scenario's settings in its title, a column per pattern and one for the
// overload, and the two pools in its legend.
func TestDemoChart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "scenario.svg")
	var out bytes.Buffer
	o := demoOpts{chart: path, chartSet: true}
	if err := writeDemoChart(stdio{out: &out, err: io.Discard}, o, demoReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Chart of the scenario") || !strings.Contains(out.String(), path) {
		t.Errorf("the demo does not say where its chart is: %q", out.String())
	}
	svg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := svgText(t, svg)
	for _, want := range []string{
		"hubdb demo: pool size 5 + overflow 10, pool timeout 1s, each request calls a 100ms service",
		"held: requests completed and failed", "scoped: latency of completed requests",
		"held, steady overload: requests completed and failed", "N = 398 at 199/s", "N = 200",
		"hubdb: completed", "database/sql: pool timeout", "p99",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the chart has no text %q:\n%s", want, text)
		}
	}
}

// TestDemoChartEmpty: a report without runs is a clear error and leaves
// no file; without --chart and without ./docs (as in this package's
// directory) the demo writes nothing and says so; --chart ” writes
// nothing.
func TestDemoChartEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scenario.svg")
	err := writeDemoChart(stdio{out: io.Discard, err: io.Discard}, demoOpts{chart: path, chartSet: true}, &scenario.Report{})
	if !errors.Is(err, chart.ErrNoData) || !strings.Contains(err.Error(), "the chart of the scenario") {
		t.Errorf("an empty report: error %v, want one about the chart wrapping chart.ErrNoData", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty report left %s (stat: %v)", path, err)
	}

	if _, err := os.Stat("docs"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cmd/hubdb has a docs directory: the default case cannot be tested here (stat: %v)", err)
	}
	o, err := parseDemo(nil)
	if err != nil || o.chart != defaultDemoChart || o.chartSet {
		t.Fatalf("parseDemo(nil) = chart %q set %v, %v; want %q, not set", o.chart, o.chartSet, err, defaultDemoChart)
	}
	var out bytes.Buffer
	if err := writeDemoChart(stdio{out: &out, err: io.Discard}, o, demoReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no ./docs here") {
		t.Errorf("without ./docs: output %q, want a note that no chart was written", out.String())
	}
	if _, err := os.Stat("docs"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo made ./docs without --chart (stat: %v)", err)
		_ = os.RemoveAll("docs")
	}

	o, err = parseDemo([]string{"--chart", ""})
	if err != nil || !o.chartSet || o.chart != "" {
		t.Fatalf("--chart '': chart %q set %v, %v", o.chart, o.chartSet, err)
	}
	out.Reset()
	if err := writeDemoChart(stdio{out: &out, err: io.Discard}, o, demoReport()); err != nil || out.Len() != 0 {
		t.Errorf("--chart '': error %v, output %q; want neither", err, out.String())
	}
}

// svgText checks that svg is well-formed XML with an <svg> root and
// returns its character data, a line per element.
func svgText(t *testing.T, svg []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var b strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(el)); s != "" {
				b.WriteString(s + "\n")
			}
		}
	}
	if root != "svg" {
		t.Fatalf("the chart's root element is <%s>, want <svg>", root)
	}
	return b.String()
}
