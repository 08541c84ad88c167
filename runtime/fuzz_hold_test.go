package runtime_test

import (
	"slices"
	"time"
)

// release opens the gate of h: from then on what waited behind it runs.
func (m *fzRun) release(h *fzHold) {
	m.t.Helper()
	if h.released && h.opened {
		return
	}
	m.logf("release the hold %s", h.it)
	h.released = true
	h.open()
	m.advance(h.it.w)
}

// releaseAll releases the holds of w, in order.
func (m *fzRun) releaseAll(w *fzWorker) {
	m.t.Helper()
	for _, it := range w.items {
		if it.hold != nil && !(it.hold.released && it.hold.opened) {
			m.release(it.hold)
		}
	}
}

// releaseOne releases the i-th (modulo) hold not yet released.
func (m *fzRun) releaseOne(i int) {
	m.t.Helper()
	var open []*fzHold
	for _, h := range m.holds {
		if !h.released {
			open = append(open, h)
		}
	}
	if len(open) == 0 {
		m.logf("release: no hold")
		return
	}
	m.release(open[i%len(open)])
}

// advance waits, once the hold that blocked w is no longer counted on, for
// the next one to start, or for the message that stops w to do so.
func (m *fzRun) advance(w *fzWorker) {
	m.t.Helper()
	if f := m.front(w); f >= 0 {
		m.awaitStarted(w.items[f])
		return
	}
	if p := w.doom; p != nil {
		w.doom = nil
		m.awaitDoom(p)
	}
}

// awaitStarted waits, if nothing blocks the hold it, until its method waits
// at its gate, or it has ended without.
func (m *fzRun) awaitStarted(it *fzItem) {
	m.t.Helper()
	if m.front(it.w) != it.pos {
		return
	}
	deadline := time.NewTimer(fzRoomWait)
	defer deadline.Stop()
	for {
		select {
		case <-it.hold.started:
			return
		case <-time.After(time.Millisecond):
			if m.poll(it) {
				return
			}
		case <-deadline.C:
			m.fatalf("%s, which nothing blocks, had not started after %v", it, fzRoomWait)
		}
	}
}

// settleDooms waits for the messages sent this operation that stop their
// recipient once run.
func (m *fzRun) settleDooms() {
	m.t.Helper()
	dooms := m.dooms
	m.dooms = nil
	for _, p := range dooms {
		if !p.w.gone {
			m.awaitDoom(p)
		}
	}
}

// awaitDoom waits until p, which stops its recipient registered
// WithStopOnPanic, has ended and the recipient is no longer registered, and
// records that everything queued behind p fails.
func (m *fzRun) awaitDoom(p *fzItem) {
	m.t.Helper()
	w := p.w
	m.logf("%s stops %s", p, w.name)
	deadline := time.Now().Add(fzRoomWait)
	for !m.poll(p) || slices.Contains(m.d.Keys(), w.key) {
		if time.Now().After(deadline) {
			m.fatalf("%s, registered WithStopOnPanic, was still registered %v after %s was sent", w.name, fzRoomWait, p)
		}
		m.waitFor(p, time.Millisecond)
	}
	m.forget(w)
	for _, it := range w.items[p.pos+1:] {
		if it.got == 0 {
			it.allow, it.aborted = fzClosed, true
			if it.kind != fzKindTell && (it.ctxDone || it.ctxEnds) {
				it.allow |= fzCanceled
			}
		}
	}
}
