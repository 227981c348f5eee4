// Package chart draws the pictures of `hubdb demo` (the pool-exhaustion
// scenario, [Scenario]) and of the benchmark report (bench/cmd/report,
// [Bars]) as SVG with gonum.org/v1/plot.
//
// Only those commands import it: the library's packages (dbx, gen,
// hubtest, config, migration) never do, so the plotting dependency stays
// out of an application's build. Its functions take plain values (no
// scenario or benchmark types) and return the SVG's bytes, or
// [ErrNoData] when there is nothing to draw; [WriteFile] writes them
// without ever leaving a half-written file.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ErrNoData reports a chart with nothing to draw: no runs, or no values.
var ErrNoData = errors.New("chart: no results to draw")

// WriteFile writes svg to path, creating path's directory if needed. It
// writes a temporary file beside path and renames it into place, so that
// path holds either the old picture or the whole new one.
func WriteFile(path string, svg []byte) error {
	if len(svg) == 0 {
		return fmt.Errorf("chart: writing %s: %w", path, ErrNoData)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	_, werr := f.Write(svg)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("chart: writing %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("chart: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// sans is the charts' typeface: Liberation Sans, which gonum/plot embeds
// (for measuring text) and SVG viewers substitute with a sans-serif.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle returns the charts' text style at size points.
func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(sans, size), Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot with the charts' fonts and a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 11)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 10)
		a.Tick.Label.Font = font.From(sans, 9)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.TextStyle.Font = font.From(sans, 9)
	return p
}

// hgrid is a grid of horizontal lines only: vertical ones would cross
// the bars and marks of a nominal X axis.
func hgrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	return g
}

// rgb is a colour from its hex triplet.
func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

// palette is Tableau's ten colours, in order: blue, orange, green, red,
// purple, brown, pink, grey, olive, cyan.
var palette = []color.RGBA{
	rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0xd62728), rgb(0x9467bd),
	rgb(0x8c564b), rgb(0xe377c2), rgb(0x7f7f7f), rgb(0xbcbd22), rgb(0x17becf),
}

// lighter mixes c with white: f = 0 keeps c, 1 is white.
func lighter(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff}
}

// figure is a grid of plots under a title with legends in a column on
// the right, drawn on one SVG canvas.
type figure struct {
	title  string
	width  vg.Length
	height vg.Length
	plots  [][]*plot.Plot // rows of columns
	// legends has one legend per row, drawn beside that row (nil: none);
	// a single legend spans all rows.
	legends     []*plot.Legend
	legendWidth vg.Length
	// beforeDraw, when set, is called with each plot's data area after
	// the layout is known and before drawing (bar widths depend on it).
	beforeDraw func(row, col int, p *plot.Plot, data draw.Canvas)
}

// svg draws the figure.
func (f figure) svg() ([]byte, error) {
	c := vgsvg.New(f.width, f.height)
	dc := draw.New(c)
	// A white background: viewers with a dark theme show SVG on it.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	const titleHeight = 26
	title := textStyle(13)
	title.XAlign, title.YAlign = draw.XCenter, draw.YTop
	dc.FillText(title, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - 6}, f.title)

	rows := len(f.plots)
	cols := 0
	for _, r := range f.plots {
		cols = max(cols, len(r))
	}
	for r := range f.plots { // Align wants full rows
		for len(f.plots[r]) < cols {
			f.plots[r] = append(f.plots[r], nil)
		}
	}
	grid := draw.Crop(dc, 0, -f.legendWidth, 0, -titleHeight)
	tiles := draw.Tiles{
		Rows: rows, Cols: cols,
		PadX: vg.Points(14), PadY: vg.Points(10),
		PadTop: vg.Points(2), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(4),
	}
	canvases := plot.Align(f.plots, tiles, grid)
	for r, row := range f.plots {
		for col, p := range row {
			if p == nil {
				continue
			}
			if f.beforeDraw != nil {
				f.beforeDraw(r, col, p, p.DataCanvas(canvases[r][col]))
			}
			p.Draw(canvases[r][col])
		}
	}
	side := draw.Crop(dc, f.width-f.legendWidth, 0, 0, -titleHeight)
	for i, l := range f.legends {
		if l == nil {
			continue
		}
		// Row i's legend at the top of row i's share of the column.
		h := (side.Max.Y - side.Min.Y) / vg.Length(len(f.legends))
		top := side.Max.Y - vg.Length(i)*h
		l.Top, l.Left = true, true
		l.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: side.Min.X + 4, Y: top - h},
			Max: vg.Point{X: side.Max.X, Y: top - vg.Points(20)},
		}})
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart: rendering SVG: %w", err)
	}
	return b.Bytes(), nil
}

// newLegend returns an empty legend in the charts' style.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sans, 9)
	l.Padding = vg.Points(3)
	l.ThumbnailWidth = vg.Points(14)
	return &l
}
