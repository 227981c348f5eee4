package main

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/solarhub/hubdb/internal/chart"
)

// noChart is the -chart value that writes no chart.
const noChart = "-"

// chartPath returns where -chart says the chart goes: the flag's file,
// docs/bench.svg at the repository root by default, "" for none.
func chartPath(flagValue, modDir string) string {
	switch flagValue {
	case noChart:
		return ""
	case "":
		return filepath.Join(modDir, "..", "docs", "bench.svg")
	}
	return flagValue
}

// chartLink returns the chart's path relative to the report's directory,
// for the report's image link; "" when there is no chart.
func chartLink(report, chartFile string) string {
	if chartFile == "" {
		return ""
	}
	rel, err := filepath.Rel(filepath.Dir(report), chartFile)
	if err != nil {
		return ""
	}
	return filepath.ToSlash(rel)
}

// chartTitle is the chart's title and its alternative text in the report.
const chartTitle = "Throughput relative to raw-prepared database/sql, per workload, concurrency and context style (higher is better)"

// benchChart draws the run's main comparison: every contender's ops/s
// as a ratio to raw-prepared's at the same workload, concurrency and
// context style (the ×prep column of the report's tables), a panel per
// workload and context style.
func benchChart(ri runInfo) ([]byte, error) {
	b := chart.Bars{
		Title: chartTitle, YLabel: "ops/s ÷ raw-prepared's",
		Ref: 1, RefLabel: "raw-prepared = 1",
		Cols: len(workloads),
	}
	for _, k := range contenders {
		b.Series = append(b.Series, k.name)
	}
	for _, ctx := range ctxStyles {
		for _, w := range workloads {
			pn := chart.BarPanel{Title: w.name + ", ctx=" + ctx, Values: map[string][]float64{}}
			for _, c := range concurrencies {
				pn.Groups = append(pn.Groups, "c = "+c)
			}
			for _, k := range contenders {
				vals := make([]float64, len(concurrencies))
				for i, c := range concurrencies {
					vals[i] = math.NaN()
					if r, ok := ri.ratio(w.name, c, ctx, k.name, "raw-prepared", "ops/s"); ok {
						vals[i] = r
					}
				}
				pn.Values[k.name] = vals
			}
			b.Panels = append(b.Panels, pn)
		}
	}
	svg, err := b.SVG()
	if err != nil {
		return nil, fmt.Errorf("the throughput chart: %w", err)
	}
	return svg, nil
}
