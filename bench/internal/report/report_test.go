package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
)

// parseFixture parses testdata/run.txt, a small run whose medians are easy
// to work out by hand: each benchmark has three repetitions, or one.
func parseFixture(t *testing.T) *Results {
	t.Helper()
	f, err := os.Open("testdata/run.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f, "run.txt")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParse(t *testing.T) {
	res := parseFixture(t)
	for key, want := range map[string]string{
		"goversion": "go1.26.0", "ncpu": "2", "cpu": "Test CPU @ 1.00GHz", "goos": "linux", "count": "3",
	} {
		if got := res.Config[key]; got != want {
			t.Errorf("Config[%q] = %q, want %q", key, got, want)
		}
	}
	if res.GOMAXPROCS != 2 {
		t.Errorf("GOMAXPROCS = %d, want 2", res.GOMAXPROCS)
	}
	// ns/op and p99-ns come tidied into seconds.
	if got := res.Samples[Key{"RequestReply", "generated", "sec/op"}]; len(got) != 3 || !near(got[0], 100e-9) {
		t.Errorf("RequestReply/generated sec/op = %v, want [1e-07 1.1e-07 9e-08]", got)
	}
	if m, ok := res.Median(Key{"Wake", "generated", "p99-sec"}); !ok || !near(m, 6e-6) {
		t.Errorf("Wake/generated p99-sec median = %v, %v; want 6e-06", m, ok)
	}
}

func TestParseRejectsMalformedResult(t *testing.T) {
	_, err := Parse(strings.NewReader("BenchmarkX/generated-2  10  oops ns/op\n"), "bad.txt")
	if err == nil {
		t.Fatal("Parse accepted a malformed result line")
	}
	if _, err := Parse(strings.NewReader("PASS\n"), "empty.txt"); err == nil {
		t.Fatal("Parse accepted a file without results")
	}
}

func TestCheck(t *testing.T) {
	res := parseFixture(t)
	byName := map[string]Outcome{}
	for _, o := range Check(res, Targets()) {
		byName[o.Name] = o
	}
	tests := []struct {
		name        string
		value, base float64
		ratio       float64
		met         bool
		shown       string // the ratio as the report prints it
		missing     bool
	}{
		// Medians 100 ns and 450 ns.
		{name: "sync call vs chan-pooled", value: 100e-9, base: 450e-9, ratio: 100.0 / 450, met: true, shown: "0.222×"},
		{name: "sync call, allocations", value: 0, met: true, shown: "–"},
		// 5000 ns ÷ 100 ns: 50× faster, the goal is 10×.
		{name: "sync call vs protoactor RequestFuture", value: 100e-9, base: 5000e-9, ratio: 0.02, met: true,
			shown: "50× faster"},
		{name: "sync call (cancelable ctx) vs chan-pooled", value: 750e-9, base: 450e-9, ratio: 750.0 / 450,
			met: false, shown: "1.67×"},
		{name: "sync call (cancelable ctx), allocations", value: 1, met: false, shown: "–"},
		// Issue 10's like-for-like baseline: 750 ns ÷ 600 ns.
		{name: "sync call (cancelable ctx) vs chan-ctxselect", value: 750e-9, base: 600e-9, ratio: 750.0 / 600,
			met: false, shown: "1.25×"},
		{name: "one-way send, 8 senders, vs chan-buffered", value: 80e-9, base: 60e-9, ratio: 80.0 / 60, met: false,
			shown: "1.33×"},
		// The fixture has no async calls.
		{name: "async + Await (cancelable ctx) vs chan-percall", missing: true, shown: "n/a"},
		{name: "async + Await (cancelable ctx) vs chan-percall-cancelctx", missing: true, shown: "n/a"},
		// 80 ns ÷ 60 ns misses ≤ 0.7×, and the report says so.
		{name: "one-way send vs chan-buffered", value: 80e-9, base: 60e-9, ratio: 80.0 / 60, met: false, shown: "1.33×"},
		// The fixture has no FanOut/chan-pooled.
		{name: "64 recipients vs hand-written fan-out", missing: true, shown: "n/a"},
		{name: "wake idle, p99 vs blocked goroutine", value: 6e-6, base: 20e-6, ratio: 0.3, met: true, shown: "0.3×"},
		{name: "idle recipient memory vs 1 KiB", value: 512, base: 1024, ratio: 0.5, met: true, shown: "0.5×"},
	}
	for _, tt := range tests {
		o, ok := byName[tt.name]
		if !ok {
			t.Errorf("no target %q", tt.name)
			continue
		}
		if tt.missing {
			if o.Err == nil || o.Met || o.ratio() != tt.shown {
				t.Errorf("%s: Err = %v, Met = %v, ratio %q; want an error, not met, %q",
					tt.name, o.Err, o.Met, o.ratio(), tt.shown)
			}
			continue
		}
		if o.Err != nil {
			t.Errorf("%s: %v", tt.name, o.Err)
			continue
		}
		if !near(o.Value, tt.value) || !near(o.Base, tt.base) || !near(o.Ratio, tt.ratio) || o.Met != tt.met {
			t.Errorf("%s: value %g, base %g, ratio %g, met %v; want %g, %g, %g, %v",
				tt.name, o.Value, o.Base, o.Ratio, o.Met, tt.value, tt.base, tt.ratio, tt.met)
		}
		if got := o.ratio(); got != tt.shown {
			t.Errorf("%s: ratio shown as %q, want %q", tt.name, got, tt.shown)
		}
		if !o.Absolute && o.Err == nil && (o.Score() <= 1) != o.Met {
			t.Errorf("%s: score %g disagrees with met %v", tt.name, o.Score(), o.Met)
		}
	}
}

func TestCompare(t *testing.T) {
	res := parseFixture(t)
	cs := Compare(res, []Scenario{
		{Title: "sync", Bench: "RequestReply", Unit: "sec/op", Baseline: "chan-pooled"},
		{Title: "fan-out", Bench: "FanOut", Unit: "sec/op", Baseline: "chan-pooled"},
		{Title: "none", Bench: "Nothing", Unit: "sec/op", Baseline: "x"},
	})
	want := []Row{
		{"mutex", 20e-9, 20.0 / 450},
		{"generated", 100e-9, 100.0 / 450},
		{"generated-cancelctx", 750e-9, 750.0 / 450},
		{"chan-pooled", 450e-9, 1},
		{"chan-ctxselect", 600e-9, 600.0 / 450},
		{"protoactor", 5000e-9, 5000.0 / 450},
	}
	if got := cs[0].Rows; !rowsNear(got, want) {
		t.Errorf("RequestReply rows = %v, want %v", got, want)
	}
	// Without its baseline a scenario still lists its medians, without
	// ratios.
	if got, want := cs[1].Rows, []Row{{"generated", 110e-9, 0}}; !rowsNear(got, want) {
		t.Errorf("FanOut rows = %v, want %v", got, want)
	}
	if len(cs[2].Rows) != 0 {
		t.Errorf("scenario without results has rows %v", cs[2].Rows)
	}
}

func TestWriteMarkdown(t *testing.T) {
	res := parseFixture(t)
	r := &Report{
		Results:     res,
		Outcomes:    Check(res, Targets()),
		Comparisons: Compare(res, Scenarios()),
		Benchstat:   "benchstat table\n",
		Chart:       "benchmarks.svg",
		Raw:         "benchmarks.txt",
	}
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| CPU | Test CPU @ 1.00GHz |",
		"| CPUs | 2 (GOMAXPROCS 2) |",
		"| Go | go1.26.0 |",
		"![Each ratio divided by its target: at most 1 meets the target](benchmarks.svg)",
		"| one-way send vs chan-buffered | 80 ns | 60 ns chan-buffered | 1.33× | ≤ 0.7× | **not met** |",
		"| sync call vs protoactor RequestFuture | 100 ns | 5 µs protoactor | 50× faster | ≥ 10× faster | met |",
		"| idle recipient memory vs 1 KiB | 512 B | 1 KiB | 0.5× | ≤ 1× | met |",
		"| sync call, allocations | 0 allocs/op |  | – | 0 | met |",
		"| sync call (cancelable ctx), allocations | 1 allocs/op |  | – | 0 | **not met** |",
		"| 64 recipients vs hand-written fan-out | n/a |  | n/a | ≤ 1× | **not met** (no sec/op for FanOut/chan-pooled) |",
		// Of the targets; the checks marked Extra are counted apart.
		"6 of 8 met",
		"The same goals held to paths",
		// Issue 10's targets, counted apart from issue 4's.
		"## Issue 10's targets",
		"0 of 12 met",
		"| sync call (cancelable ctx) vs chan-ctxselect | 750 ns | 600 ns chan-ctxselect | 1.25× | ≤ 1× | **not met** |",
		// Every figure says which CPU it was measured on.
		"Measured on Test CPU @ 1.00GHz",
		"not general",
		"benchstat table",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestWriteChart(t *testing.T) {
	res := parseFixture(t)
	var b bytes.Buffer
	if err := WriteChart(&b, Check(res, Targets())); err != nil {
		t.Fatal(err)
	}
	// The chart must be well-formed XML with an svg root.
	d := xml.NewDecoder(&b)
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("chart's root element is %q, want svg", root)
	}
	if err := WriteChart(io.Discard, nil); err == nil {
		t.Error("WriteChart drew a chart of nothing")
	}
}

func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(math.Abs(want), 1e-12)
}

func rowsNear(got, want []Row) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Impl != want[i].Impl || !near(got[i].Median, want[i].Median) || !near(got[i].Ratio, want[i].Ratio) {
			return false
		}
	}
	return true
}
