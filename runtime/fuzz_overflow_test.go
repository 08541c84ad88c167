package runtime_test

import (
	goruntime "runtime"
	"strings"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// overflow registers a recipient with a mailbox of one place under
// fzTinyKey, fills it with a held call (a DoAsync or, with variant/8 odd, a
// Do run on its caller's goroutine), and has a sender (a Do or, with
// variant/4 odd, a Tell) wait for room from a goroutine of its own. Then
// variant%4 ends the wait: 0 by releasing the held call, 1 by canceling the
// sender's context, 2 by an Unregister and 3 by a Close that give up at once.
func (m *fzRun) overflow(v int) {
	m.t.Helper()
	ending, isTell, inline := v%4, (v/4)%2 == 1, (v/8)%2 == 1
	w := m.newWorker(fzTinyKey)
	w.size = 1
	m.logf("Register(%s, WithMailboxSize(1)) as %s", fzTinyKey, w.name)
	err := m.d.Register(fzTinyKey, w.impl, runtime.WithMailboxSize(1))
	if m.closed {
		m.wantErr("Register after Close", err, runtime.ErrClosed)
		return
	}
	m.wantErr("Register", err, nil)
	m.added(w)
	var held *fzItem
	if inline {
		held = m.call(fzTinyKey, fzMsg{job: fzHoldJob}, true)
	} else {
		held = m.callAsync(fzTinyKey, fzMsg{job: fzHoldJob}, false)
	}

	kind := fzKindCall
	if isTell {
		kind = fzKindTell
		m.tells++
	}
	it, ctx, _ := m.newItem(kind, fzTinyKey, fzMsg{ctx: fzCtxCancelable})
	m.logf("%s waits for room in the full mailbox of %s; ending %d", it, w.name, ending)
	s := m.newSender(it, ctx)
	// Should the runtime ever wait in a way parked does not know, the test
	// goes on after fzRoomWait: the outcomes stay right, only less certainly
	// reached while the sender waits.
	for start := time.Now(); !s.parked() && time.Since(start) < fzRoomWait; goruntime.Gosched() {
		select {
		case <-s.done:
			m.refuse(it, nil)
			m.poll(it)
			m.fatalf("%s to the full mailbox of %s returned (%s) without waiting for room", it, w.name, it.detail)
		default:
		}
	}
	switch ending {
	case 0:
		m.release(held.hold)
	case 1:
		it.cancel()
		it.ctxDone = true
	case 2:
		m.unregister(fzTinyKey, 1)
	case 3:
		m.close(1)
	}
	select {
	case <-s.done:
	case <-time.After(fzRoomWait):
		m.fatalf("%s still waited for room %v after ending %d", it, fzRoomWait, ending)
	}
	if ending == 0 {
		it.allow = fzRan
		m.accept(it, w)
	} else {
		it.allow = [...]fzOutcome{1: fzCanceled, 2: fzClosed, 3: fzClosed}[ending]
		m.refuse(it, nil)
	}
	if !m.poll(it) && (isTell && ending != 0) {
		m.fatalf("%s, refused, had not reached the dead-letter handler when Tell returned", it)
	}
	if m.byKey[fzTinyKey] == w {
		m.unregister(fzTinyKey, 0)
	}
}

// parked reports whether the sender's goroutine is blocked, which in front of
// a full mailbox it can only be in the wait for room. The goroutine dump is
// the one place that shows this, whatever the runtime waits on, so the test
// can act exactly while the sender waits, without sleeping and hoping.
func (s *fzSender) parked() bool {
	buf := make([]byte, 64<<10)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		state, _, _ := strings.Cut(g, "\n")
		if !strings.HasPrefix(state, "goroutine "+s.gid+" [") {
			continue
		}
		for _, blocked := range []string{"[select", "[chan receive", "[chan send", "[sync.Cond.Wait"} {
			if strings.Contains(state, blocked) {
				return true
			}
		}
		return false
	}
	return false
}
