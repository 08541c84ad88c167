package runtime_test

import (
	"slices"
	"time"
)

// cancelOne cancels the context of the i-th (modulo) message still
// cancelable, which the model allows to fail with context.Canceled from then
// on, and requires to if it is certainly queued. A running hold that
// watches its context returns its error; one that ignores it goes on, and
// so does a Do's method whose caller stops waiting.
func (m *fzRun) cancelOne(i int) {
	m.t.Helper()
	if len(m.cancelable) == 0 {
		m.logf("cancel: nothing to cancel")
		return
	}
	i %= len(m.cancelable)
	it := m.cancelable[i]
	m.cancelable = slices.Delete(m.cancelable, i, i+1)
	m.logf("cancel the context of %s", it)
	// Look before canceling: afterwards the runtime may end it at once.
	if m.poll(it) {
		it.cancel()
		it.ctxDone = true
		return
	}
	w := it.w
	running := it.hold != nil && m.front(w) == it.pos
	ends := false
	switch {
	case running && it.kind == fzKindCall:
		it.allow = fzCanceled
		ends = it.msg.job == fzHoldJob
	case running:
		ends = it.msg.job == fzHoldJob
	case m.behind(it) && !it.aborted:
		it.allow = fzCanceled
	default:
		it.allow |= fzCanceled
	}
	it.cancel()
	it.ctxDone = true
	if running && it.kind == fzKindCall {
		// Until its caller has stopped waiting, the method's end would
		// still reach it.
		m.mustEnd("the context of a running call was canceled", it)
	}
	if ends {
		// Its method returns the context's error: what waited behind it
		// runs.
		m.awaitExit(it)
		it.hold.released = true
		m.advance(w)
	}
}

// awaitExit waits until the method of it has ended.
func (m *fzRun) awaitExit(it *fzItem) {
	m.t.Helper()
	deadline := time.Now().Add(fzRoomWait)
	for !m.tr.record(it.id).exited {
		if time.Now().After(deadline) {
			m.fatalf("the method of %s had not ended %v after its context was canceled", it, fzRoomWait)
		}
		m.waitProgress(time.Millisecond)
	}
}

// waitProgress waits until the tracker records something, for at most d.
func (m *fzRun) waitProgress(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.tr.progress:
	case <-t.C:
	}
}
