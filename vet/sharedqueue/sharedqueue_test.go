package sharedqueue_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/dispatchgen/dispatchgen/vet/sharedqueue"
)

// TestReported runs the analyzer on the cases that must be reported, each a
// package under testdata/src with a want comment at every line reported.
func TestReported(t *testing.T) {
	for _, pkg := range []string{"drop", "putback", "starts", "closure", "equal", "loopvars", "fields", "typeswitch", "getters", "odd", "helpers", "switches", "lookup"} {
		t.Run(pkg, func(t *testing.T) {
			analysistest.Run(t, analysistest.TestData(), sharedqueue.Analyzer, pkg)
		})
	}
}

// TestNotReported runs the analyzer on the cases that must report nothing:
// the worker pool, single consumers, per-worker channels, routers, and
// messages handled other than by being dropped or put back.
func TestNotReported(t *testing.T) {
	for _, pkg := range []string{"negpool", "negkind", "negperworker", "negrouter", "negsingle", "neghandled"} {
		t.Run(pkg, func(t *testing.T) {
			analysistest.Run(t, analysistest.TestData(), sharedqueue.Analyzer, pkg)
		})
	}
}
