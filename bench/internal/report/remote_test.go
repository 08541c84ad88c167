package report

import (
	"strings"
	"testing"
)

// remoteRun is a run of the e2e benchmarks whose medians are easy to work
// out: the dispatcher at 30 µs against raw's 20 µs in-process, one caller;
// one-way at 4 µs against 1 µs; a claim at 50 µs against a KV Create's 20
// µs over TCP, 30 against 20 in-process; 800 B per idle key.
const remoteRun = `cpu: Test CPU @ 1.00GHz
BenchmarkClaim/inproc/kvcreate-2             	 10000	     20000 ns/op
BenchmarkClaim/inproc/node-2                 	 10000	     30000 ns/op
BenchmarkClaim/tcp/kvcreate-2                	 10000	     20000 ns/op
BenchmarkClaim/tcp/node-2                    	 10000	     50000 ns/op
BenchmarkIdleKeyMemory-2                     	     1	 300000000 ns/op	       800.0 B/key
BenchmarkCall/inproc/callers=1/raw-2         	 100	     20000 ns/op
BenchmarkCall/inproc/callers=1/dispatcher-2  	 100	     30000 ns/op
BenchmarkCall/inproc/callers=1/dispatcher-cbor-2  	 100	     28000 ns/op
BenchmarkCall/inproc/callers=8/raw-2         	 100	     10000 ns/op
BenchmarkCall/inproc/callers=8/dispatcher-2  	 100	     12000 ns/op
BenchmarkNotify/inproc/raw-2                 	 100	      1000 ns/op
BenchmarkNotify/inproc/dispatcher-2          	 100	      4000 ns/op
`

func TestRemoteScenariosKeepTheirPrefixOnly(t *testing.T) {
	res, err := Parse(strings.NewReader(remoteRun), "remote.txt")
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]Comparison{}
	for _, c := range Compare(res, remoteScenarios()) {
		byTitle[c.Title] = c
	}
	c := byTitle["6. Across processes: sync call, in-process connection, 1 caller"]
	want := []Row{{"raw", 20e-6, 1}, {"dispatcher", 30e-6, 1.5}, {"dispatcher-cbor", 28e-6, 1.4}}
	if len(c.Rows) != len(want) {
		t.Fatalf("rows = %+v, want %+v: the callers=8 results must not show here", c.Rows, want)
	}
	for i, r := range c.Rows {
		if r.Impl != want[i].Impl || !near(r.Median, want[i].Median) || !near(r.Ratio, want[i].Ratio) {
			t.Errorf("row %d = %+v, want %+v", i, r, want[i])
		}
	}
	if c := byTitle["6. Across processes: sync call, loopback TCP, 8 callers"]; len(c.Rows) != 0 {
		t.Errorf("TCP rows = %+v, want none: the run has no TCP results", c.Rows)
	}
}

func TestIssue11Targets(t *testing.T) {
	res, err := Parse(strings.NewReader(remoteRun), "remote.txt")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Outcome{}
	for _, o := range Check(res, issue11Targets()) {
		byName[o.Name] = o
	}
	for _, tt := range []struct {
		name  string
		ratio float64
		met   bool
	}{
		{"remote sync call, in-process connection, 1 caller, vs raw nc.Request", 1.5, false},
		{"remote sync call, in-process connection, 8 callers, vs raw nc.Request", 1.2, true},
		{"remote one-way, in-process connection, time per message delivered vs raw Publish", 4, false},
		{"Register of 10 000 keys, in-process connection, per key vs one KV Create", 1.5, true},
		{"Register of 10 000 keys, loopback TCP, per key vs one KV Create", 2.5, false},
		{"idle remotely-registered key, memory beyond the local idle recipient, vs 2 KiB", 800.0 / 2048, true},
	} {
		o, ok := byName[tt.name]
		switch {
		case !ok:
			t.Errorf("no target %q", tt.name)
		case o.Err != nil || !near(o.Ratio, tt.ratio) || o.Met != tt.met:
			t.Errorf("%s: ratio %g met %v err %v, want ratio %g met %v", tt.name, o.Ratio, o.Met, o.Err, tt.ratio, tt.met)
		}
	}
	if o := byName["remote sync call, loopback TCP, 1 caller, vs raw nc.Request"]; o.Err == nil || o.Met {
		t.Errorf("TCP target without TCP results: %+v, want an error and not met", o)
	}
}
