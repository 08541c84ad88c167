package report

import "strings"

// Scenario is one benchmark whose implementations the report compares with
// one of them, the baseline, in one unit.
type Scenario struct {
	Title    string
	Bench    string // the benchmark, without its Benchmark prefix
	Unit     string // as benchfmt tidies it
	Baseline string // the implementation the others are divided by
	Note     string // how to read the figures, if it needs saying
	// Prefix, if set, keeps the implementations whose names start with it,
	// and is left out of the names shown: "inproc/callers=1/" of a
	// benchmark whose sub-benchmarks are transports and callers first.
	// Baseline is named without it.
	Prefix string
}

// Comparison is a Scenario's medians, in the order the implementations
// first appear in the results.
type Comparison struct {
	Scenario
	Rows []Row
}

// Row is one implementation's median in a Comparison, and its ratio to the
// baseline's (0 if the baseline has none).
type Row struct {
	Impl   string
	Median float64
	Ratio  float64
}

// Compare computes the comparison of each scenario; a scenario without
// results has no rows.
func Compare(res *Results, scenarios []Scenario) []Comparison {
	out := make([]Comparison, len(scenarios))
	for i, s := range scenarios {
		out[i] = Comparison{Scenario: s}
		base, _ := res.Median(Key{s.Bench, s.Prefix + s.Baseline, s.Unit})
		for _, impl := range res.impls(s.Bench, s.Unit) {
			name, ok := strings.CutPrefix(impl, s.Prefix)
			if !ok {
				continue
			}
			m, _ := res.Median(Key{s.Bench, impl, s.Unit})
			r := Row{Impl: name, Median: m}
			if base > 0 {
				r.Ratio = m / base
			}
			out[i].Rows = append(out[i].Rows, r)
		}
	}
	return out
}

// Scenarios returns the scenarios of the bench module, in the order of
// issue 4.
func Scenarios() []Scenario {
	scenarios := []Scenario{
		{Title: "1. Request/reply, 1 caller → 1 recipient", Bench: "RequestReply", Unit: "sec/op", Baseline: "chan-pooled",
			Note: inlineNote},
		{Title: "2. One-way, 8 senders → 1 recipient", Bench: "OneWay", Unit: "sec/op", Baseline: "chan-buffered",
			Note: "Per message sent and handled."},
		{Title: "2. One-way, 1 sender → 1 recipient", Bench: "OneWaySingle", Unit: "sec/op", Baseline: "chan-buffered",
			Note: "Per message sent and handled."},
		{Title: "3. 64 recipients, parallel callers", Bench: "FanOut", Unit: "sec/op", Baseline: "chan-pooled",
			Note: "Time per call, the inverse of throughput. The shared-queue variants lose messages " +
				"(lost/op, wrongworker/op in the benchstat tables below); the discard variant's time is mostly " +
				"its callers' 1 ms deadline."},
		{Title: "4. Waking an idle recipient, p99 latency", Bench: "Wake", Unit: "p99-sec", Baseline: "chan-blocked",
			Note: "One call per op, each after the recipient has been idle for a time.Sleep(50 µs), which may sleep longer: " +
				"pause-sec, in the benchstat tables below, is the pauses' median. " + inlineNote},
		{Title: "4. Waking an idle recipient, p50 latency", Bench: "Wake", Unit: "p50-sec", Baseline: "chan-blocked"},
		{Title: "5. Memory per idle recipient, 100 000 registered", Bench: "IdleRecipient", Unit: "bytes/recipient",
			Baseline: "goroutine", Note: "Live heap and goroutine stacks after a collection, divided by the count."},
	}
	return append(scenarios, remoteScenarios()...)
}

// inlineNote says why generated and generated-cancelctx differ.
const inlineNote = "generated calls with context.Background(): a caller that finds the recipient idle runs " +
	"the call on its own goroutine. generated-cancelctx calls with a context that can be canceled, and " +
	"generated-async with a Future: both go through the mailbox to a goroutine of the recipient's own. " +
	"The cancelable contexts have a deadline and are reused across calls, as a request handler making " +
	"several calls would; the -percall variants make a new deadline context for each call. " +
	"chan-ctxselect is chan-pooled whose caller also selects on ctx.Done() and whose server checks the " +
	"request's context: the like-for-like baseline of a cancelable call; chan-percall-cancelctx is the " +
	"same with chan-percall's new reply channel per call, that of a Future awaited with its call's " +
	"cancelable context."
