package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/internal/chart"
)

// syntheticRun is a go test -bench output of BenchmarkCompare: every
// workload, concurrency, context style and contender (sysbench on point
// only, as the benchmark runs it), with ops/s chosen so that contender
// i's ratio to raw-prepared is (i+5)/10.
func syntheticRun() []byte {
	var b strings.Builder
	b.WriteString("cpu: Test CPU\n")
	for _, w := range workloads {
		for _, c := range concurrencies {
			for i, k := range contenders {
				ops := 1000 * float64(i+5) / 10
				if k.name == "raw-prepared" {
					ops = 1000
				}
				if k.name == "sysbench" {
					if w.name == "point" {
						fmt.Fprintf(&b, "BenchmarkCompare/point/c=%s/sysbench-2 1 100 ns/op %.0f ops/s\n", c, ops)
					}
					continue
				}
				for _, ctx := range ctxStyles {
					fmt.Fprintf(&b, "BenchmarkCompare/%s/c=%s/%s/ctx=%s-2 1 100 ns/op %.0f ops/s\n", w.name, c, k.name, ctx, ops)
				}
			}
		}
	}
	return []byte(b.String())
}

// TestBenchChart draws the chart of a synthetic run and checks the SVG:
// well-formed, with the title, a panel per workload and context style,
// the concurrencies and every contender in the legend; and the link the
// report gets.
func TestBenchChart(t *testing.T) {
	ri, err := parse(syntheticRun())
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := ri.ratio("readtx", "16", "background", "hubdb", "raw-prepared", "ops/s"); !ok || r != 0.8 {
		t.Fatalf("the synthetic run: hubdb/raw-prepared = %v, %v; want 0.8", r, ok)
	}
	svg, err := benchChart(ri)
	if err != nil {
		t.Fatal(err)
	}
	texts := xmlTexts(t, svg)
	want := []string{chartTitle, "ops/s ÷ raw-prepared's", "raw-prepared = 1", "c = 1", "c = 16", "c = 64"}
	for _, w := range workloads {
		for _, ctx := range ctxStyles {
			want = append(want, w.name+", ctx="+ctx)
		}
	}
	for _, k := range contenders {
		want = append(want, k.name)
	}
	for _, w := range want {
		if !texts[w] {
			t.Errorf("the chart has no text %q", w)
		}
	}

	dir := t.TempDir()
	file := chartPath("", filepath.Join(dir, "bench"))
	if file != filepath.Join(dir, "docs", "bench.svg") || chartPath(noChart, dir) != "" || chartPath("x.svg", dir) != "x.svg" {
		t.Errorf("chartPath: default %s, - %q", file, chartPath(noChart, dir))
	}
	if link := chartLink(filepath.Join(dir, "BENCHMARKS.md"), file); link != "docs/bench.svg" {
		t.Errorf("the report links the chart as %q, want docs/bench.svg", link)
	}
	md := render(ri, facts{cpu: ri.cpu, kitCmds: kitCommands(), chart: "docs/bench.svg"}, syntheticRun(), "")
	if !strings.Contains(md, "## Results\n") || !strings.Contains(md, "![Throughput relative to raw-prepared database/sql") ||
		!strings.Contains(md, "](docs/bench.svg)\n") {
		t.Errorf("the report does not show the chart")
	}
	if md := render(ri, facts{cpu: ri.cpu, kitCmds: kitCommands()}, nil, ""); strings.Contains(md, "docs/bench.svg") {
		t.Errorf("without a chart the report still links one")
	}
}

// TestBenchChartEmpty: a run without raw-prepared has no ratio to draw:
// a clear error, and the file is never written.
func TestBenchChartEmpty(t *testing.T) {
	ri, err := parse([]byte("BenchmarkCompare/point/c=1/hubdb/ctx=cancel-2 1 100 ns/op 5000 ops/s\n"))
	if err != nil {
		t.Fatal(err)
	}
	svg, err := benchChart(ri)
	if !errors.Is(err, chart.ErrNoData) || svg != nil || !strings.Contains(err.Error(), "throughput chart") {
		t.Errorf("no raw-prepared: %d bytes, error %v; want none and ErrNoData", len(svg), err)
	}
	path := filepath.Join(t.TempDir(), "bench.svg")
	if err := chart.WriteFile(path, svg); err == nil {
		t.Error("WriteFile of no chart succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists (stat: %v)", path, err)
	}
}

// xmlTexts checks that svg is well-formed XML with an <svg> root and
// returns the set of its texts.
func xmlTexts(t *testing.T, svg []byte) map[string]bool {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	texts := map[string]bool{}
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
				texts[s] = true
			}
		}
	}
	if root != "svg" {
		t.Fatalf("the chart's root element is <%s>, want <svg>", root)
	}
	return texts
}
