// Package report turns the raw output of the bench module's benchmarks into
// docs/benchmarks.md and its chart: the medians of each scenario, their
// ratios against each scenario's baseline, and the project's targets, met
// or not.
package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Key names the measurements of one implementation in one unit.
type Key struct {
	Bench string // the benchmark without its Benchmark prefix: "RequestReply"
	Impl  string // the sub-benchmark: "generated"
	Unit  string // as benchfmt tidies it: "sec/op" for ns/op, "p99-sec" for p99-ns
}

// Results are the measurements of one run of the benchmarks.
type Results struct {
	// Samples holds each measurement, one value per repetition (-count).
	Samples map[Key][]float64
	// Config is the run's file configuration: goos, goarch, cpu, pkg, and
	// whatever else the file declares, such as the keys bench/run adds.
	Config map[string]string
	// GOMAXPROCS is the suffix of the benchmark names, 0 if they have none.
	GOMAXPROCS int
	// keys are those of Samples in the order they first appear.
	keys []Key
}

// Parse reads go test -bench output. Lines that are neither results nor
// configuration are skipped, as benchstat skips them; a malformed result
// line is an error, so that a broken run cannot pass for a short one.
func Parse(r io.Reader, fileName string) (*Results, error) {
	res := &Results{Samples: map[Key][]float64{}, Config: map[string]string{}}
	br := benchfmt.NewReader(r, fileName)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			res.add(rec)
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if len(res.Samples) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", fileName)
	}
	return res, nil
}

// add records one result line.
func (res *Results) add(rec *benchfmt.Result) {
	for _, c := range rec.Config {
		if c.File {
			res.Config[c.Key] = string(c.Value)
		}
	}
	base, parts := rec.Name.Parts()
	var impl []string
	for _, p := range parts {
		switch {
		case strings.HasPrefix(string(p), "/"):
			impl = append(impl, string(p[1:]))
		case strings.HasPrefix(string(p), "-"):
			if n, err := strconv.Atoi(string(p[1:])); err == nil {
				res.GOMAXPROCS = n
			}
		}
	}
	for _, v := range rec.Values {
		k := Key{Bench: string(base), Impl: strings.Join(impl, "/"), Unit: v.Unit}
		if _, ok := res.Samples[k]; !ok {
			res.keys = append(res.keys, k)
		}
		res.Samples[k] = append(res.Samples[k], v.Value)
	}
}

// Median returns the median of the measurements under k, as benchstat
// computes it, and false if there are none.
func (res *Results) Median(k Key) (float64, bool) {
	vs := res.Samples[k]
	if len(vs) == 0 {
		return 0, false
	}
	s := benchmath.NewSample(vs, &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Summary(s, 0.95).Center, true
}

// impls returns the implementations measured in bench, in unit, in the
// order they first appear.
func (res *Results) impls(bench, unit string) []string {
	var out []string
	for _, k := range res.keys {
		if k.Bench == bench && k.Unit == unit {
			out = append(out, k.Impl)
		}
	}
	return out
}
