package runtime_test

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// fzStepLimit bounds each operation of a fuzz run, and its closing checks
// and teardown, as a whole. The model bounds each of its own waits
// (fzRoomWait, fzDrainWait) and fails with a message; but a send that the
// model lets through waits for room inside the runtime, and a method the
// test's goroutine runs inline waits wherever the method does, where only
// this bound ends the wait. A passing operation takes milliseconds.
const fzStepLimit = 30 * time.Second

// watch arms the watchdog of the run for what comes next: unless watch is
// called again, or stopWatch, within fzStepLimit, hung ends the test
// binary with the operations so far.
func (m *fzRun) watch() {
	if m.watchdog == nil {
		m.watchdog = time.AfterFunc(fzStepLimit, m.hung)
		return
	}
	m.watchdog.Reset(fzStepLimit)
}

// stopWatch disarms the watchdog once the run is over.
func (m *fzRun) stopWatch() {
	if m.watchdog != nil {
		m.watchdog.Stop()
	}
}

// hung reports, on the watchdog's goroutine, an operation that has not
// returned: the test's goroutine is blocked, so t.Fatal cannot stop it, and
// a panic ends the binary with the operations and every goroutine's stack,
// which show where it waits. Under -fuzz, the fuzzer keeps the input.
func (m *fzRun) hung() {
	m.mu.Lock()
	trace := strings.Join(m.trace, "\n  ")
	m.mu.Unlock()
	debug.SetTraceback("all")
	panic(fmt.Sprintf("fuzz model: an operation has not returned after %v: a wait without a bound, in the runtime or in the model; "+
		"the last operation listed is the one that waits, and every goroutine's stack follows\noperations:\n  %s", fzStepLimit, trace))
}
