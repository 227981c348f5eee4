package chart

import (
	"fmt"
	"image/color"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScenarioRun is one run of the pool-exhaustion scenario: N requests of
// one pattern on one pool.
type ScenarioRun struct {
	// Pool names the pool ("hubdb", "database/sql"): one colour each, in
	// the order the runs first name them.
	Pool string
	// Pattern names the pattern ("held", "scoped"): one column each, in
	// the order the runs first name them.
	Pattern string
	// N is how many requests were sent; Rate their arrival rate per
	// second, 0 when they all arrived at once.
	N    int
	Rate float64
	// Completed requests succeeded, Failed ones got a pool timeout,
	// Errors failed otherwise.
	Completed, Failed, Errors int
	// P50, P99 and Max are latencies of the completed requests; zero when
	// none completed.
	P50, P99, Max time.Duration
}

// Scenario draws the scenario's runs under title: a column per pattern,
// with the share of the N requests that completed and that failed, per N
// and pool, on top, and the latency of the completed requests (p50, p99,
// max) per N and pool below. It returns the SVG, or [ErrNoData] when no
// run sent a request.
func Scenario(title string, runs []ScenarioRun) ([]byte, error) {
	var pools, patterns []string
	for _, r := range runs {
		if r.N <= 0 {
			continue
		}
		if !slices.Contains(pools, r.Pool) {
			pools = append(pools, r.Pool)
		}
		if !slices.Contains(patterns, r.Pattern) {
			patterns = append(patterns, r.Pattern)
		}
	}
	if len(patterns) == 0 {
		return nil, fmt.Errorf("chart: scenario: %w", ErrNoData)
	}
	colour := func(pool string) color.RGBA { return palette[slices.Index(pools, pool)%len(palette)] }

	outcomes, latencies := make([]*plot.Plot, len(patterns)), make([]*plot.Plot, len(patterns))
	type barSet struct{ done, failed, errs *plotter.BarChart }
	bars := make([][]barSet, len(patterns)) // per pattern, per pool
	anyErrors := false
	for col, pat := range patterns {
		var ns []int
		byKey := map[[2]any]ScenarioRun{}
		rates := map[int]float64{}
		for _, r := range runs {
			if r.Pattern != pat || r.N <= 0 {
				continue
			}
			if !slices.Contains(ns, r.N) {
				ns = append(ns, r.N)
			}
			byKey[[2]any{r.Pool, r.N}] = r
			rates[r.N] = max(rates[r.N], r.Rate)
		}
		slices.Sort(ns)
		names := make([]string, len(ns))
		xLabel := "requests arriving at once"
		for i, n := range ns {
			names[i] = fmt.Sprintf("N = %d", n)
			if rates[n] > 0 {
				names[i] = fmt.Sprintf("N = %d at %.0f/s", n, rates[n])
				xLabel = "requests arriving steadily"
			}
		}

		// Outcomes: stacked bars of completed, pool timeouts and other
		// errors, as a share of N.
		op := newPlot(pat+": requests completed and failed", xLabel, "% of the N requests")
		op.NominalX(names...)
		op.X.Min, op.X.Max = -0.5, float64(len(ns))-0.5
		op.Y.Min, op.Y.Max = 0, 100
		op.Add(hgrid())
		for _, pool := range pools {
			done, failed, errs := make(plotter.Values, len(ns)), make(plotter.Values, len(ns)), make(plotter.Values, len(ns))
			for i, n := range ns {
				r, ok := byKey[[2]any{pool, n}]
				if !ok {
					continue
				}
				done[i] = 100 * float64(r.Completed) / float64(r.N)
				failed[i] = 100 * float64(r.Failed) / float64(r.N)
				errs[i] = 100 * float64(r.Errors) / float64(r.N)
				anyErrors = anyErrors || r.Errors > 0
			}
			var set barSet
			for _, b := range []struct {
				v   plotter.Values
				bar **plotter.BarChart
				c   color.RGBA
			}{{done, &set.done, colour(pool)}, {failed, &set.failed, lighter(colour(pool), 0.6)}, {errs, &set.errs, rgb(0x555555)}} {
				bc, err := plotter.NewBarChart(b.v, 1) // widths are set once the layout is known
				if err != nil {
					return nil, fmt.Errorf("chart: scenario: %w", err)
				}
				bc.Color = b.c
				bc.LineStyle.Width = 0
				*b.bar = bc
			}
			set.failed.StackOn(set.done)
			set.errs.StackOn(set.failed)
			op.Add(set.done, set.failed, set.errs)
			bars[col] = append(bars[col], set)
		}
		outcomes[col] = op

		// Latencies: per N and pool, a line from p50 to max with a mark at
		// each of p50, p99 and max.
		lp := newPlot(pat+": latency of completed requests", xLabel, "ms from arrival")
		lp.NominalX(names...)
		lp.X.Min, lp.X.Max = -0.5, float64(len(ns))-0.5
		lp.Y.Min = 0
		lp.Add(hgrid())
		points, top := 0, 0.0
		for j, pool := range pools {
			offset := (float64(j) - float64(len(pools)-1)/2) * 0.7 / float64(len(pools)) // as the bars above
			var p50, p99, pmax plotter.XYs
			for i, n := range ns {
				r, ok := byKey[[2]any{pool, n}]
				if !ok || r.Completed == 0 || r.Max <= 0 {
					continue
				}
				x := float64(i) + offset
				p50 = append(p50, plotter.XY{X: x, Y: ms(r.P50)})
				p99 = append(p99, plotter.XY{X: x, Y: ms(r.P99)})
				pmax = append(pmax, plotter.XY{X: x, Y: ms(r.Max)})
				span, err := plotter.NewLine(plotter.XYs{{X: x, Y: ms(r.P50)}, {X: x, Y: ms(r.Max)}})
				if err != nil {
					return nil, fmt.Errorf("chart: scenario: %w", err)
				}
				span.Color, span.Width = colour(pool), vg.Points(1.5)
				lp.Add(span)
				points++
				top = max(top, ms(r.Max))
			}
			for _, m := range []struct {
				xys   plotter.XYs
				shape draw.GlyphDrawer
			}{{p50, draw.CircleGlyph{}}, {p99, draw.TriangleGlyph{}}, {pmax, draw.CrossGlyph{}}} {
				if len(m.xys) == 0 {
					continue
				}
				s, err := plotter.NewScatter(m.xys)
				if err != nil {
					return nil, fmt.Errorf("chart: scenario: %w", err)
				}
				s.GlyphStyle = draw.GlyphStyle{Color: colour(pool), Radius: vg.Points(3.5), Shape: m.shape}
				lp.Add(s)
			}
		}
		lp.Y.Max = top * 1.08 // room above the highest mark
		if points == 0 {
			lp.Title.Text = pat + ": no request completed"
			lp.Y.Max = 1
		}
		latencies[col] = lp
	}

	// Legends: the outcome row's colours, then the latency row's pools
	// and marks.
	top, bottom := newLegend(), newLegend()
	for _, pool := range pools {
		c := colour(pool)
		top.Add(pool+": completed", swatch(c))
		top.Add(pool+": pool timeout", swatch(lighter(c, 0.6)))
	}
	if anyErrors {
		top.Add("other error", swatch(rgb(0x555555)))
	}
	for _, pool := range pools {
		l, err := plotter.NewLine(plotter.XYs{{}, {X: 1}})
		if err != nil {
			return nil, fmt.Errorf("chart: scenario: %w", err)
		}
		l.Color, l.Width = colour(pool), vg.Points(2)
		bottom.Add(pool, l)
	}
	for _, m := range []struct {
		name  string
		shape draw.GlyphDrawer
	}{{"p50", draw.CircleGlyph{}}, {"p99", draw.TriangleGlyph{}}, {"max", draw.CrossGlyph{}}} {
		s, err := plotter.NewScatter(plotter.XYs{{}})
		if err != nil {
			return nil, fmt.Errorf("chart: scenario: %w", err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3.5), Shape: m.shape}
		bottom.Add(m.name, s)
	}

	f := figure{
		title:  title,
		width:  vg.Points(float64(300*len(patterns) + 150)),
		height: vg.Points(560),
		plots:  [][]*plot.Plot{outcomes, latencies}, legends: []*plot.Legend{top, bottom},
		legendWidth: vg.Points(150),
		beforeDraw: func(row, col int, p *plot.Plot, data draw.Canvas) {
			if row != 0 {
				return
			}
			// Two bars side by side per N, filling 70% of the slot.
			unit := (data.Max.X - data.Min.X) / vg.Length(p.X.Max-p.X.Min)
			w := unit * 0.7 / vg.Length(len(pools))
			for j, set := range bars[col] {
				off := (vg.Length(j) - vg.Length(len(pools)-1)/2) * w
				for _, b := range []*plotter.BarChart{set.done, set.failed, set.errs} {
					b.Width, b.Offset = w*0.92, off
				}
			}
		},
	}
	return f.svg()
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// swatch is a legend thumbnail: a filled box of colour c.
func swatch(c color.Color) plot.Thumbnailer {
	b, _ := plotter.NewBarChart(plotter.Values{1}, 1) // one positive value and width: cannot fail
	b.Color = c
	b.LineStyle.Width = 0
	return b
}
