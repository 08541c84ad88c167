package report

import (
	"bytes"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

func TestCurves(t *testing.T) {
	res := parseFixture(t)
	g := Growths()[0]
	cs := Curves(res, g)
	want := []Curve{
		{"generated", plotter.XYs{{X: 1, Y: 50e-9}, {X: 8, Y: 60e-9}, {X: 64, Y: 200e-9}}},
		{"chan-buffered", plotter.XYs{{X: 1, Y: 40e-9}, {X: 8, Y: 50e-9}, {X: 64, Y: 55e-9}}},
	}
	if len(cs) != len(want) {
		t.Fatalf("Curves = %v, want %v", cs, want)
	}
	for i := range want {
		if cs[i].Impl != want[i].Impl || len(cs[i].Points) != len(want[i].Points) {
			t.Fatalf("curve %d = %v, want %v", i, cs[i], want[i])
		}
		for j, p := range want[i].Points {
			if got := cs[i].Points[j]; got.X != p.X || !near(got.Y, p.Y) {
				t.Errorf("%s point %d = %v, want %v", want[i].Impl, j, got, p)
			}
		}
	}
	// 200 ns is 4× generated's 50 ns at 1 sender; 60 ns is 1.2×.
	if got := cs[0].Bend(bendFactor); got != 64 {
		t.Errorf("generated bends at %g, want 64", got)
	}
	if got := cs[1].Bend(bendFactor); got != 0 {
		t.Errorf("chan-buffered bends at %g, want 0 (55 ns is 1.375× 40 ns)", got)
	}
}

func TestWriteGrowths(t *testing.T) {
	res := parseFixture(t)
	g := Growths()[0]
	r := &Report{Results: res, Growths: []GrowthSection{{Growth: g, Curves: Curves(res, g), Chart: "senders.svg"}}}
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## How cost grows",
		"Measured on Test CPU @ 1.00GHz.",
		"![One recipient against the number of senders](senders.svg)",
		"| implementation | senders=1 | senders=8 | senders=64 |",
		"| generated | 50 ns | 60 ns | 200 ns |",
		"- generated bends at senders=64: more than 1.5× its cost at senders=1.",
		"- chan-buffered stays within 1.5× its cost at senders=1.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var svg bytes.Buffer
	if err := WriteGrowthChart(&svg, g, r.Growths[0].Curves); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg.String(), "<svg") || !strings.Contains(svg.String(), "chan-buffered") {
		t.Errorf("chart is not an SVG naming its curves:\n%.300s", svg.String())
	}
	if err := WriteGrowthChart(&svg, g, nil); err == nil {
		t.Error("WriteGrowthChart drew a chart without curves")
	}
}
