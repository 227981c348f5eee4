package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/solarhub/hubdb/internal/chart"
	"github.com/solarhub/hubdb/internal/scenario"
)

// defaultDemoChart is where the demo writes the chart of its scenario
// when --chart is not given: the repository's docs/ (make demo runs from
// the repository's root), and only when ./docs exists, so that the demo
// run anywhere else leaves no directory behind.
const defaultDemoChart = "docs/scenario.svg"

// writeDemoChart writes the chart of rep where o says (--chart, or
// defaultDemoChart when ./docs exists) and tells w where. It returns an
// error only when the chart could not be drawn or written.
func writeDemoChart(w stdio, o demoOpts, rep *scenario.Report) error {
	path := o.chart
	if !o.chartSet {
		if fi, err := os.Stat(filepath.Dir(defaultDemoChart)); err != nil || !fi.IsDir() {
			fmt.Fprintf(w.out, "\n(no ./docs here: the chart of the scenario is not written; --chart FILE writes it)\n")
			return nil
		}
	}
	if path == "" {
		return nil
	}
	if err := scenarioChart(path, rep); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "\nChart of the scenario (completed and failed requests, latency; hubdb and database/sql): %s\n", path)
	return nil
}

// scenarioChart draws rep with internal/chart, a column per pattern and
// one for the overload, and writes the SVG to path.
func scenarioChart(path string, rep *scenario.Report) error {
	var runs []chart.ScenarioRun
	add := func(pattern string, r scenario.Result) {
		runs = append(runs, chart.ScenarioRun{
			Pool: string(r.Impl), Pattern: pattern, N: r.N, Rate: r.Rate,
			Completed: r.Completed, Failed: r.Failed, Errors: r.Errors,
			P50: r.P50, P99: r.P99, Max: r.Max,
		})
	}
	for _, r := range rep.Results {
		add(string(r.Pattern), r)
	}
	for _, r := range rep.Overload {
		add(fmt.Sprintf("%s, steady overload", r.Pattern), r)
	}
	cfg := rep.Config
	title := fmt.Sprintf("hubdb demo: pool size %d + overflow %d, pool timeout %v, each request calls a %v service",
		cfg.Size, max(cfg.Overflow, 0), cfg.Timeout, cfg.CallLatency)
	svg, err := chart.Scenario(title, runs)
	if err != nil {
		return fmt.Errorf("the chart of the scenario: %w", err)
	}
	if err := chart.WriteFile(path, svg); err != nil {
		return fmt.Errorf("the chart of the scenario: %w", err)
	}
	return nil
}
