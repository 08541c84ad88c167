package report

import "fmt"

// remoteNote says what the remote figures compare.
const remoteNote = "A generated dispatcher calling a recipient registered in another node, " +
	"through natsdispatch and an embedded NATS server, against raw nats.go doing the same on the same " +
	"server in the same run (the `natsdispatch/internal/e2e` benchmarks, which bench/run runs too): " +
	"`nc.Request` to a subscriber that answers with the reply's bytes, and `Publish` to a subscriber " +
	"that counts. The connection is in-process (inproc) or over loopback TCP (tcp). A one-way figure is " +
	"the time per message delivered, the inverse of the rate: a rate of at least 0.8× the raw rate is a " +
	"time of at most 1.25× the raw time. Register is natsdispatch's BenchmarkClaim, 10 000 keys claimed on " +
	"one node beside as many KV Creates; an idle key's memory is the node's heap per claimed key, beyond " +
	"what the dispatcher holds for the recipient (BenchmarkIdleKeyMemory, its server in a process of its own)."

// remoteScenarioNote is the note of each sync call scenario: remoteNote,
// said once in the targets' section, is not repeated under each.
const remoteScenarioNote = "The dispatcher's call through natsdispatch beside raw nats.go's `nc.Request` on the " +
	"same embedded server, in the same run (see Issue 11's targets)."

// remoteTransports and remoteCallers are those of the e2e benchmarks'
// sub-benchmarks.
var (
	remoteTransports = []struct{ name, title string }{
		{"inproc", "in-process connection"}, {"tcp", "loopback TCP"},
	}
	remoteCallers = []int{1, 8}
)

// remoteScenarios returns the comparisons of the e2e benchmarks, one per
// transport and number of callers.
func remoteScenarios() []Scenario {
	var out []Scenario
	for _, tr := range remoteTransports {
		for _, callers := range remoteCallers {
			out = append(out, Scenario{
				Title: fmt.Sprintf("6. Across processes: sync call, %s, %s", tr.title, plural(callers, "caller")),
				Bench: "Call", Unit: "sec/op", Baseline: "raw", Prefix: fmt.Sprintf("%s/callers=%d/", tr.name, callers),
				Note: remoteScenarioNote,
			})
		}
	}
	for _, tr := range remoteTransports {
		out = append(out, Scenario{
			Title: "7. Across processes: one-way, " + tr.title + ", 1 sender",
			Bench: "Notify", Unit: "sec/op", Baseline: "raw", Prefix: tr.name + "/",
			Note: "Time per message delivered to the recipient.",
		})
	}
	return out
}

// issue11Targets returns issue 11's speed targets.
func issue11Targets() []Target {
	var out []Target
	for _, tr := range remoteTransports {
		for _, callers := range remoteCallers {
			prefix := fmt.Sprintf("%s/callers=%d/", tr.name, callers)
			out = append(out, Target{
				Name:  fmt.Sprintf("remote sync call, %s, %s, vs raw nc.Request", tr.title, plural(callers, "caller")),
				Bench: "Call", Impl: prefix + "dispatcher", Unit: "sec/op", Versus: prefix + "raw", Max: 1.25,
				Group: Issue11,
			})
		}
	}
	for _, tr := range remoteTransports {
		out = append(out, Target{
			Name:  "remote one-way, " + tr.title + ", time per message delivered vs raw Publish",
			Bench: "Notify", Impl: tr.name + "/dispatcher", Unit: "sec/op", Versus: tr.name + "/raw", Max: 1.25,
			Group: Issue11,
		})
	}
	// natsdispatch's own BenchmarkClaim, run for 10 000 keys, and
	// BenchmarkIdleKeyMemory, which counts the node's heap per key beside
	// what the dispatcher holds for the recipient.
	for _, tr := range remoteTransports {
		out = append(out, Target{
			Name:  "Register of 10 000 keys, " + tr.title + ", per key vs one KV Create",
			Bench: "Claim", Impl: tr.name + "/node", Unit: "sec/op", Versus: tr.name + "/kvcreate", Max: 2,
			Group: Issue11,
		})
	}
	return append(out, Target{
		Name:  "idle remotely-registered key, memory beyond the local idle recipient, vs 2 KiB",
		Bench: "IdleKeyMemory", Unit: "B/key", Fixed: 2048, FixedFmt: "2 KiB", Max: 1, Group: Issue11,
	})
}

// plural returns n and noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
