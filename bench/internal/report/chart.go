package report

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The chart's colours: met, not met, and the target line.
var (
	colorMet    = color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
	colorNotMet = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	colorTarget = color.Gray{Y: 0x30}
)

// WriteChart draws, as SVG, a horizontal bar for each ratio target of
// outcomes: its ratio divided by its bound, so that one line at 1 is every
// target and a bar that ends left of it meets its own. Absolute targets,
// which have no ratio, and failed checks are left out.
func WriteChart(w io.Writer, outcomes []Outcome) error {
	p, height, err := chart(outcomes)
	if err != nil {
		return err
	}
	c := vgsvg.New(chartWidth, height)
	p.Draw(draw.New(c))
	_, err = c.WriteTo(w)
	return err
}

// chartWidth is the width of the chart; its height grows with its bars.
const chartWidth = 9 * vg.Inch

// chart returns WriteChart's plot and its height.
func chart(outcomes []Outcome) (*plot.Plot, vg.Length, error) {
	var shown []Outcome
	for _, o := range outcomes {
		if o.Err == nil && !o.Absolute {
			shown = append(shown, o)
		}
	}
	if len(shown) == 0 {
		return nil, 0, errors.New("no ratio to chart")
	}
	// The first target goes at the top: NominalY puts index 0 at the
	// bottom.
	slices.Reverse(shown)

	n := len(shown)
	met, notMet := make(plotter.Values, n), make(plotter.Values, n)
	names := make([]string, n)
	labels := plotter.XYLabels{XYs: make(plotter.XYs, n), Labels: make([]string, n)}
	xMax := 1.25
	for i, o := range shown {
		if o.Met {
			met[i] = o.Score()
		} else {
			notMet[i] = o.Score()
		}
		names[i] = o.Name
		labels.XYs[i] = plotter.XY{X: o.Score(), Y: float64(i)}
		labels.Labels[i] = fmt.Sprintf("%s (goal %s)", o.ratio(), o.goal())
		xMax = max(xMax, o.Score()*1.6)
	}

	p := plot.New()
	p.Title.Text = "Generated dispatcher: each ratio ÷ its target (≤ 1 meets it)"
	p.X.Label.Text = "ratio ÷ target"
	p.X.Min, p.X.Max = 0, xMax
	p.NominalY(names...)
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	p.Add(plotter.NewGrid())

	width := vg.Points(14)
	for _, bars := range []struct {
		vs    plotter.Values
		color color.Color
		name  string
	}{{met, colorMet, "met"}, {notMet, colorNotMet, "not met"}} {
		bc, err := plotter.NewBarChart(bars.vs, width)
		if err != nil {
			return nil, 0, err
		}
		bc.Horizontal = true
		bc.Color = bars.color
		bc.LineStyle.Width = 0
		p.Add(bc)
		p.Legend.Add(bars.name, bc)
	}

	target, err := plotter.NewLine(plotter.XYs{{X: 1, Y: -0.5}, {X: 1, Y: float64(n) - 0.5}})
	if err != nil {
		return nil, 0, err
	}
	target.Color = colorTarget
	target.Width = vg.Points(1.5)
	target.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(target)
	p.Legend.Add("target", target)

	lbl, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, 0, err
	}
	lbl.Offset = vg.Point{X: vg.Points(4), Y: -vg.Points(4)}
	p.Add(lbl)

	return p, vg.Inch + vg.Length(n)*0.45*vg.Inch, nil
}
