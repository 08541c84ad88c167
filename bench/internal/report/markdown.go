package report

import (
	"fmt"
	"io"
	"strings"
)

// Report is everything docs/benchmarks.md says.
type Report struct {
	Results     *Results
	Outcomes    []Outcome
	Comparisons []Comparison
	Benchstat   string // benchstat's output on the raw results, included as is
	Chart       string // the chart's path, relative to the markdown file
	Raw         string // the raw results' path, relative to the markdown file
	Growths     []GrowthSection
}

// WriteMarkdown writes the report as markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("<!-- Written by bench/run from the raw results; do not edit. -->\n\n")
	b.WriteString("The generated dispatcher against what it replaces, measured in one `go test -bench` run of the " +
		"`bench/` module: hand-written per-recipient channels, the shared queue every worker reads, " +
		"[protoactor-go](https://github.com/asynkron/protoactor-go) actors, and a direct call under a " +
		"`sync.Mutex`, the floor. Each figure is the median of the run's repetitions; ratios are taken " +
		"within the run, so they hold on other machines better than the figures do.\n\n")
	fmt.Fprintf(&b, "Run `bench/run` to measure again; the raw results are in [%s](%s), for "+
		"`go tool benchstat` (run from `bench/`, which pins it) to compare with another run.\n\n", r.Raw, r.Raw)
	r.writeMachine(&b)
	r.writeTargets(&b)
	r.writeComparisons(&b)
	r.writeGrowths(&b)
	if r.Benchstat != "" {
		b.WriteString("## benchstat\n\n```text\n")
		b.WriteString(strings.TrimRight(r.Benchstat, "\n"))
		b.WriteString("\n```\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMachine writes what the run ran on, from the raw results' header.
func (r *Report) writeMachine(b *strings.Builder) {
	cfg := r.Results.Config
	get := func(key string) string {
		if v := cfg[key]; v != "" {
			return v
		}
		return "unknown"
	}
	cpus := get("ncpu")
	if r.Results.GOMAXPROCS != 0 {
		cpus += fmt.Sprintf(" (GOMAXPROCS %d)", r.Results.GOMAXPROCS)
	}
	b.WriteString("## Machine\n\n| | |\n| --- | --- |\n")
	fmt.Fprintf(b, "| Go | %s |\n", get("goversion"))
	fmt.Fprintf(b, "| GOOS/GOARCH | %s/%s |\n", get("goos"), get("goarch"))
	fmt.Fprintf(b, "| CPU | %s |\n", get("cpu"))
	fmt.Fprintf(b, "| CPUs | %s |\n", cpus)
	fmt.Fprintf(b, "| date | %s |\n", get("date"))
	fmt.Fprintf(b, "| repetitions | -count %s -benchtime %s |\n\n", get("count"), get("benchtime"))
}

// writeTargets writes the targets table and the chart.
func (r *Report) writeTargets(b *strings.Builder) {
	var targets, extras, issue10, issue11 []Outcome
	for _, o := range r.Outcomes {
		switch o.Group {
		case Extra:
			extras = append(extras, o)
		case Issue10:
			issue10 = append(issue10, o)
		case Issue11:
			issue11 = append(issue11, o)
		default:
			targets = append(targets, o)
		}
	}
	fmt.Fprintf(b, "## Targets\n\n%d of %d met in this run, on %s. The ratio is the generated dispatcher's "+
		"median divided by its baseline's, printed whether the target is met or not.\n\n",
		countMet(targets), len(targets), r.cpu())
	if r.Chart != "" {
		fmt.Fprintf(b, "![Each ratio divided by its target: at most 1 meets the target](%s)\n\n", r.Chart)
	}
	writeOutcomes(b, targets)
	if len(extras) > 0 {
		b.WriteString("The same goals held to paths that the default calls above do not take: a context " +
			"that can be canceled, which goes through the mailbox instead of running the call on the " +
			"caller's goroutine; a new deadline context per call; a recipient that keeps its goroutine " +
			"(`runtime.WithDedicatedGoroutine`).\n\n")
		writeOutcomes(b, extras)
	}
	if len(issue10) > 0 {
		fmt.Fprintf(b, "## Issue 10's targets\n\n%d of %d met in this run, on %s. The paths real calls "+
			"take: a request context with a deadline, reused across calls; futures; one and eight senders. "+
			"Idle memory, also one of them, is in the table above.\n\n", countMet(issue10), len(issue10), r.cpu())
		writeOutcomes(b, issue10)
	}
	if len(issue11) > 0 {
		fmt.Fprintf(b, "## Issue 11's targets: across processes\n\n%d of %d met in this run, on %s. "+
			remoteNote+"\n\n", countMet(issue11), len(issue11), r.cpu())
		writeOutcomes(b, issue11)
	}
}

// countMet returns how many of outcomes are met.
func countMet(outcomes []Outcome) int {
	met := 0
	for _, o := range outcomes {
		if o.Met {
			met++
		}
	}
	return met
}

// cpu returns the CPU model of the run, as the go test header names it.
func (r *Report) cpu() string {
	if v := r.Results.Config["cpu"]; v != "" {
		return v
	}
	return "an unknown CPU"
}

// writeOutcomes writes a table of outcomes.
func writeOutcomes(b *strings.Builder, outcomes []Outcome) {
	b.WriteString("| target | generated | baseline | ratio | goal | |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, o := range outcomes {
		value, base := "n/a", ""
		if o.Err == nil {
			value = formatCount(o.Value, o.Unit)
			switch {
			case o.Versus != "":
				base = formatCount(o.Base, o.Unit) + " " + o.Versus
			case !o.Absolute:
				base = o.versus()
			}
		}
		verdict := "met"
		if !o.Met {
			verdict = "**not met**"
		}
		if o.Err != nil {
			verdict += " (" + o.Err.Error() + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n",
			o.Name, value, base, o.ratio(), o.goal(), verdict)
	}
	b.WriteString("\n")
}

// writeComparisons writes each scenario's medians and ratios.
func (r *Report) writeComparisons(b *strings.Builder) {
	fmt.Fprintf(b, "## Scenarios\n\nEach implementation's median, and its ratio to the scenario's baseline "+
		"(lower is better). Every figure was measured on %s; a figure measured on one CPU is not general: "+
		"the same ratio can differ on another model, most of all under contention.\n\n", r.cpu())
	for _, c := range r.Comparisons {
		fmt.Fprintf(b, "### %s\n\nMeasured on %s.\n\n", c.Title, r.cpu())
		if c.Note != "" {
			fmt.Fprintf(b, "%s\n\n", c.Note)
		}
		if len(c.Rows) == 0 {
			b.WriteString("No results.\n\n")
			continue
		}
		fmt.Fprintf(b, "| implementation | %s | × %s |\n| --- | --- | --- |\n", unitName(c.Unit), c.Baseline)
		for _, row := range c.Rows {
			ratio := "n/a"
			if row.Ratio != 0 {
				ratio = formatRatio(row.Ratio)
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", row.Impl, formatValue(row.Median, c.Unit), ratio)
		}
		b.WriteString("\n")
	}
}

// unitName names a tidied unit as the benchmarks report it.
func unitName(unit string) string {
	switch unit {
	case "sec/op":
		return "time/op"
	case "p50-sec":
		return "p50"
	case "p99-sec":
		return "p99"
	}
	return unit
}
