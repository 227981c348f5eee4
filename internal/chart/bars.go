package chart

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bars is a grid of grouped bar charts that share their series (one
// colour each, one legend): the benchmark report's throughput of every
// contender relative to one of them, per workload and setting.
type Bars struct {
	// Title is the figure's title; YLabel every panel's Y axis label.
	Title, YLabel string
	// Series are the bars of each group, in order; each has its colour
	// and, if it has a bar anywhere, its legend entry.
	Series []string
	// Ref, when positive, draws a dashed line at that value, labelled
	// RefLabel in the legend (e.g. 1 for ratios to a baseline).
	Ref      float64
	RefLabel string
	// Cols is the number of panels per row (default: all in one row).
	Cols int
	// Panels are drawn left to right, then top to bottom.
	Panels []BarPanel
}

// BarPanel is one panel of [Bars]: groups of bars along the X axis.
type BarPanel struct {
	Title string
	// Groups are the X axis's categories, e.g. "c = 16".
	Groups []string
	// Values holds, per series, one value per group; a series absent,
	// or a value that is NaN or not positive, draws no bar.
	Values map[string][]float64
}

// SVG draws the bars. It returns [ErrNoData] when no panel has a value
// to draw.
func (b Bars) SVG() ([]byte, error) {
	cols := b.Cols
	if cols <= 0 {
		cols = len(b.Panels)
	}
	var (
		grid  [][]*plot.Plot
		sets  = map[*plot.Plot][]*plotter.BarChart{} // per plot, per series
		ymax  float64
		drawn = map[string]bool{} // the series with a bar somewhere
	)
	for i, pn := range b.Panels {
		if i%cols == 0 {
			grid = append(grid, nil)
		}
		p := newPlot(pn.Title, "", b.YLabel)
		if len(pn.Groups) > 0 {
			p.NominalX(pn.Groups...)
		}
		p.X.Min, p.X.Max = -0.5, float64(len(pn.Groups))-0.5
		p.Y.Min = 0
		p.Add(hgrid())
		for j, s := range b.Series {
			vals := make(plotter.Values, len(pn.Groups))
			some := false
			for g := range pn.Groups {
				v := math.NaN()
				if vs := pn.Values[s]; g < len(vs) {
					v = vs[g]
				}
				if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
					v = 0
				} else {
					some = true
					ymax = max(ymax, v)
				}
				vals[g] = v
			}
			if !some {
				continue // no slot in this panel's groups
			}
			drawn[s] = true
			bc, err := plotter.NewBarChart(vals, 1) // widths are set once the layout is known
			if err != nil {
				return nil, fmt.Errorf("chart: bars: %w", err)
			}
			bc.Color = palette[j%len(palette)]
			bc.LineStyle.Width = 0
			p.Add(bc)
			sets[p] = append(sets[p], bc)
		}
		if b.Ref > 0 && len(pn.Groups) > 0 {
			ref, err := refLine(b.Ref, p.X.Min, p.X.Max)
			if err != nil {
				return nil, err
			}
			p.Add(ref)
		}
		grid[len(grid)-1] = append(grid[len(grid)-1], p)
	}
	if len(drawn) == 0 {
		return nil, fmt.Errorf("chart: bars: %w", ErrNoData)
	}
	// One Y scale for every panel, so that panels compare at a glance.
	top := math.Max(ymax, b.Ref) * 1.08
	for _, row := range grid {
		for _, p := range row {
			p.Y.Max = top
		}
	}

	legend := newLegend()
	for j, s := range b.Series {
		if drawn[s] {
			legend.Add(s, swatch(palette[j%len(palette)]))
		}
	}
	if b.Ref > 0 && b.RefLabel != "" {
		ref, err := refLine(b.Ref, 0, 1)
		if err != nil {
			return nil, err
		}
		legend.Add(b.RefLabel, ref)
	}
	f := figure{
		title:  b.Title,
		width:  vg.Points(float64(290*cols + 150)),
		height: vg.Points(float64(40 + 260*len(grid))),
		plots:  grid, legends: []*plot.Legend{legend},
		legendWidth: vg.Points(150),
		beforeDraw: func(_, _ int, p *plot.Plot, data draw.Canvas) {
			bars := sets[p]
			if len(bars) == 0 {
				return
			}
			// The group's bars side by side, filling 84% of its slot.
			unit := (data.Max.X - data.Min.X) / vg.Length(p.X.Max-p.X.Min)
			w := unit * 0.84 / vg.Length(len(bars))
			for j, bc := range bars {
				bc.Width = w * 0.9
				bc.Offset = (vg.Length(j) - vg.Length(len(bars)-1)/2) * w
			}
		},
	}
	return f.svg()
}

// refLine is a dashed grey horizontal line at y from x0 to x1.
func refLine(y, x0, x1 float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return nil, fmt.Errorf("chart: bars: %w", err)
	}
	l.Color = rgb(0x333333)
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	return l, nil
}
