package report

import "fmt"

// Target is a goal the report checks within one run: that the median of
// Impl in Bench, in Unit, divided by the median of Versus (or by Fixed when
// Versus is empty) is at most Max. With Absolute, Impl's median itself must
// be at most Max, for counts such as allocs/op whose goal is zero.
type Target struct {
	Name     string // what is checked, for the tables and the chart
	Bench    string // the benchmark, without its Benchmark prefix
	Impl     string // the implementation measured
	Unit     string // as benchfmt tidies it
	Versus   string // the implementation it is divided by
	Fixed    float64
	FixedFmt string // how Fixed reads in the report: "1 KiB"
	Max      float64
	// Faster shows the ratio the other way up, Versus ÷ Impl, and its
	// bound as "at least 1/Max": "10× faster" reads better than "0.1×".
	Faster   bool
	Absolute bool
	// Group is the table the target is counted and shown in.
	Group Group
}

// Group is a set of targets that the report counts apart from the others.
type Group uint8

const (
	// Issue4 are issue 4's targets: the generated dispatcher called as
	// users call it by default.
	Issue4 Group = iota
	// Extra are checks that are not one of issue 4's targets: one of their
	// goals held to a path the default calls do not take, so that the
	// report does not flatter.
	Extra
	// Issue10 are issue 10's targets: the paths real calls take, with
	// request contexts, futures and many senders.
	Issue10
	// Issue11 are issue 11's targets: calls and one-way messages to a
	// recipient in another process, against raw nats.go.
	Issue11
)

// Outcome is a Target checked against Results.
type Outcome struct {
	Target
	Value float64 // the median of Impl
	Base  float64 // the median of Versus, or Fixed
	Ratio float64 // Value ÷ Base; 0 with Absolute
	Met   bool
	Err   error // what the results lack, if anything; Met is false then
}

// Score is the ratio divided by its bound: at most 1 when the target is
// met, whichever way up the ratio reads. It is 0 for Absolute targets and
// failed checks, which have no ratio.
func (o Outcome) Score() float64 {
	if o.Err != nil || o.Absolute {
		return 0
	}
	return o.Ratio / o.Max
}

// Check checks each target against res, in order.
func Check(res *Results, targets []Target) []Outcome {
	out := make([]Outcome, len(targets))
	for i, t := range targets {
		out[i] = check(res, t)
	}
	return out
}

func check(res *Results, t Target) Outcome {
	o := Outcome{Target: t}
	v, ok := res.Median(Key{t.Bench, t.Impl, t.Unit})
	if !ok {
		o.Err = fmt.Errorf("no %s for %s/%s", t.Unit, t.Bench, t.Impl)
		return o
	}
	o.Value = v
	if t.Absolute {
		o.Met = v <= t.Max
		return o
	}
	o.Base = t.Fixed
	if t.Versus != "" {
		if o.Base, ok = res.Median(Key{t.Bench, t.Versus, t.Unit}); !ok {
			o.Err = fmt.Errorf("no %s for %s/%s", t.Unit, t.Bench, t.Versus)
			return o
		}
	}
	if o.Base <= 0 {
		o.Err = fmt.Errorf("%s/%s: %s is %g, cannot divide by it", t.Bench, t.Versus, t.Unit, o.Base)
		return o
	}
	o.Ratio = v / o.Base
	o.Met = o.Ratio <= t.Max
	return o
}

// Targets returns the project's targets: issue 4's, each comparing the
// generated dispatcher, called as users call it by default, with its
// baseline; checks of the same goals on other paths (Extra); and issue
// 10's, for the paths real calls take.
func Targets() []Target {
	targets := []Target{
		{Name: "sync call vs chan-pooled", Bench: "RequestReply", Impl: "generated", Unit: "sec/op",
			Versus: "chan-pooled", Max: 1},
		{Name: "sync call, allocations", Bench: "RequestReply", Impl: "generated", Unit: "allocs/op",
			Absolute: true, Max: 0},
		{Name: "sync call vs protoactor RequestFuture", Bench: "RequestReply", Impl: "generated", Unit: "sec/op",
			Versus: "protoactor", Max: 0.1, Faster: true},
		{Name: "sync call (cancelable ctx) vs chan-pooled", Bench: "RequestReply", Impl: "generated-cancelctx", Unit: "sec/op",
			Versus: "chan-pooled", Max: 1, Group: Extra},
		{Name: "one-way send vs chan-buffered", Bench: "OneWay", Impl: "generated", Unit: "sec/op",
			Versus: "chan-buffered", Max: 0.7},
		{Name: "one-way send, allocations", Bench: "OneWay", Impl: "generated", Unit: "allocs/op",
			Absolute: true, Max: 0},
		{Name: "64 recipients vs hand-written fan-out", Bench: "FanOut", Impl: "generated", Unit: "sec/op",
			Versus: "chan-pooled", Max: 1},
		{Name: "wake idle, p99 vs blocked goroutine", Bench: "Wake", Impl: "generated", Unit: "p99-sec",
			Versus: "chan-blocked", Max: 1},
		{Name: "wake idle (cancelable ctx, WithDedicatedGoroutine), p99 vs blocked goroutine", Bench: "Wake",
			Impl: "generated-dedicated", Unit: "p99-sec", Versus: "chan-blocked", Max: 1, Group: Extra},
		{Name: "idle recipient memory vs 1 KiB", Bench: "IdleRecipient", Impl: "generated", Unit: "bytes/recipient",
			Fixed: 1024, FixedFmt: "1 KiB", Max: 1},
		{Name: "sync call (new deadline per call) vs chan-ctxselect-percall", Bench: "RequestReply",
			Impl: "generated-deadline-percall", Unit: "sec/op", Versus: "chan-ctxselect-percall", Max: 1, Group: Extra},
	}
	targets = append(targets, issue10Targets()...)
	return append(targets, issue11Targets()...)
}

// issue10Targets returns issue 10's targets. Its cancelable contexts have a
// deadline and are reused across calls (see bench's BenchmarkRequestReply);
// idle memory, also one of them, is issue 4's row.
func issue10Targets() []Target {
	return []Target{
		{Name: "sync call (cancelable ctx) vs chan-ctxselect", Bench: "RequestReply", Impl: "generated-cancelctx",
			Unit: "sec/op", Versus: "chan-ctxselect", Max: 1, Group: Issue10},
		{Name: "sync call (cancelable ctx), allocations", Bench: "RequestReply", Impl: "generated-cancelctx",
			Unit: "allocs/op", Absolute: true, Max: 0, Group: Issue10},
		{Name: "async + Await vs chan-percall", Bench: "RequestReply", Impl: "generated-async", Unit: "sec/op",
			Versus: "chan-percall", Max: 1, Group: Issue10},
		{Name: "async + Await, allocations", Bench: "RequestReply", Impl: "generated-async", Unit: "allocs/op",
			Absolute: true, Max: 1, Group: Issue10},
		{Name: "async + Await (cancelable ctx) vs chan-percall", Bench: "RequestReply", Impl: "generated-async-cancelctx",
			Unit: "sec/op", Versus: "chan-percall", Max: 1, Group: Issue10},
		{Name: "async + Await (cancelable ctx) vs chan-percall-cancelctx", Bench: "RequestReply",
			Impl: "generated-async-cancelctx", Unit: "sec/op", Versus: "chan-percall-cancelctx", Max: 1, Group: Issue10},
		{Name: "async + Await (cancelable ctx), allocations", Bench: "RequestReply", Impl: "generated-async-cancelctx",
			Unit: "allocs/op", Absolute: true, Max: 1, Group: Issue10},
		{Name: "one-way send, one sender, vs chan-buffered", Bench: "OneWaySingle", Impl: "generated", Unit: "sec/op",
			Versus: "chan-buffered", Max: 0.7, Group: Issue10},
		{Name: "one-way send, one sender, allocations", Bench: "OneWaySingle", Impl: "generated", Unit: "allocs/op",
			Absolute: true, Max: 0, Group: Issue10},
		{Name: "one-way send, 8 senders, vs chan-buffered", Bench: "OneWay", Impl: "generated", Unit: "sec/op",
			Versus: "chan-buffered", Max: 1, Group: Issue10},
		{Name: "wake idle (cancelable ctx), p50 vs blocked goroutine", Bench: "Wake", Impl: "generated-cancelctx",
			Unit: "p50-sec", Versus: "chan-blocked", Max: 1, Group: Issue10},
		{Name: "wake idle (cancelable ctx), p99 vs blocked goroutine", Bench: "Wake", Impl: "generated-cancelctx",
			Unit: "p99-sec", Versus: "chan-blocked", Max: 1, Group: Issue10},
	}
}
