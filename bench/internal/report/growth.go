package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Growth is a benchmark whose sub-benchmarks are named impl/Param=N: how
// each implementation's cost grows with N.
type Growth struct {
	Title string
	Bench string // the benchmark, without its Benchmark prefix
	Unit  string // as benchfmt tidies it
	Param string // the name of N in the sub-benchmarks: "senders"
	Name  string // a short name for the chart's file: "senders"
	Note  string
}

// Curve is one implementation's medians against N, in increasing N.
type Curve struct {
	Impl   string
	Points plotter.XYs
}

// Bend returns the first N at which the curve's median is more than factor
// times its median at the smallest N, or 0 if it never is.
func (c Curve) Bend(factor float64) float64 {
	if len(c.Points) == 0 {
		return 0
	}
	for _, p := range c.Points[1:] {
		if p.Y > factor*c.Points[0].Y {
			return p.X
		}
	}
	return 0
}

// bendFactor is how much a cost must grow over its smallest N's for the
// report to say the curve bends there.
const bendFactor = 1.5

// Curves returns the curves of g in res, in the order the implementations
// first appear in the results.
func Curves(res *Results, g Growth) []Curve {
	var out []Curve
	index := map[string]int{}
	for _, impl := range res.impls(g.Bench, g.Unit) {
		name, arg, ok := strings.Cut(impl, "/"+g.Param+"=")
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(arg, 64)
		if err != nil {
			continue
		}
		m, _ := res.Median(Key{g.Bench, impl, g.Unit})
		i, seen := index[name]
		if !seen {
			i = len(out)
			index[name] = i
			out = append(out, Curve{Impl: name})
		}
		out[i].Points = append(out[i].Points, plotter.XY{X: n, Y: m})
	}
	for _, c := range out {
		slices.SortFunc(c.Points, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
	}
	return out
}

// Growths returns the growth benchmarks of the bench module.
func Growths() []Growth {
	return []Growth{
		{Title: "One recipient against the number of senders", Bench: "Senders", Unit: "sec/op",
			Param: "senders", Name: "senders",
			Note: "Time per message (one-way: generated, chan-buffered) or per call (sync: generated-sync " +
				"with context.Background(), chan-pooled), all senders sending to one recipient at once; " +
				"the inverse of throughput."},
		{Title: "Time per call against registered recipients", Bench: "Recipients", Unit: "sec/op",
			Param: "recipients", Name: "recipients",
			Note: "A synchronous call with context.Background() to one of N registered recipients, the key " +
				"chosen uniformly or with a Zipf distribution (s = 1.1, math/rand/v2)."},
		{Title: "Memory against registered recipients", Bench: "Recipients", Unit: "bytes/recipient",
			Param: "recipients", Name: "recipients-memory",
			Note: "The live heap the N registered, idle recipients take, divided by N, after a collection; " +
				"at N = 1 the dispatcher's own state dominates."},
	}
}

// WriteGrowthChart draws, as SVG, each curve's median against N, both axes
// logarithmic.
func WriteGrowthChart(w io.Writer, g Growth, curves []Curve) error {
	p := plot.New()
	p.Title.Text = g.Title
	p.X.Label.Text = g.Param + " (log scale)"
	p.Y.Label.Text = unitName(g.Unit) + " (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	var lines []any
	for _, c := range curves {
		if len(c.Points) == 0 {
			continue
		}
		lines = append(lines, c.Impl, c.Points)
	}
	if len(lines) == 0 {
		return fmt.Errorf("no %s results to chart", g.Bench)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	c := vgsvg.New(chartWidth, 5*vg.Inch)
	p.Draw(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

// GrowthSection is a Growth's curves, as the report writes them.
type GrowthSection struct {
	Growth
	Curves []Curve
	Chart  string // the chart's path, relative to the markdown file
}

// writeGrowths writes the section of the growth benchmarks.
func (r *Report) writeGrowths(b *strings.Builder) {
	if len(r.Growths) == 0 {
		return
	}
	b.WriteString("## How cost grows\n\n")
	for _, g := range r.Growths {
		fmt.Fprintf(b, "### %s\n\n%s Measured on %s.\n\n", g.Title, g.Note, r.cpu())
		if len(g.Curves) == 0 {
			b.WriteString("No results.\n\n")
			continue
		}
		if g.Chart != "" {
			fmt.Fprintf(b, "![%s](%s)\n\n", g.Title, g.Chart)
		}
		var ns []float64
		for _, c := range g.Curves {
			for _, p := range c.Points {
				if !slices.Contains(ns, p.X) {
					ns = append(ns, p.X)
				}
			}
		}
		slices.Sort(ns)
		fmt.Fprintf(b, "| implementation |")
		for _, n := range ns {
			fmt.Fprintf(b, " %s=%g |", g.Param, n)
		}
		b.WriteString("\n| --- |" + strings.Repeat(" --- |", len(ns)) + "\n")
		for _, c := range g.Curves {
			fmt.Fprintf(b, "| %s |", c.Impl)
			for _, n := range ns {
				cell := "n/a"
				if i := slices.IndexFunc(c.Points, func(p plotter.XY) bool { return p.X == n }); i >= 0 {
					cell = formatValue(c.Points[i].Y, g.Unit)
				}
				fmt.Fprintf(b, " %s |", cell)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		for _, c := range g.Curves {
			if bend := c.Bend(bendFactor); bend != 0 {
				fmt.Fprintf(b, "- %s bends at %s=%g: more than %g× its cost at %s=%g.\n",
					c.Impl, g.Param, bend, bendFactor, g.Param, c.Points[0].X)
			} else {
				fmt.Fprintf(b, "- %s stays within %g× its cost at %s=%g.\n", c.Impl, bendFactor, g.Param, c.Points[0].X)
			}
		}
		b.WriteString("\n")
	}
}
