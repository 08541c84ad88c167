package runtime_test

import (
	"context"
	"errors"
	goruntime "runtime"
	"slices"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// call is a synchronous Do of msg, made from the test's goroutine or, with
// fromGoroutine, from one of its own. A call whose method holds, or that
// ends in runtime.Goexit, is always made from a goroutine of its own: the
// first would block the test, the second end it if the call ran on its
// caller's goroutine.
func (m *fzRun) call(key string, msg fzMsg, fromGoroutine bool) *fzItem {
	m.t.Helper()
	if msg.job.holds() || msg.job == fzGoexit || msg.spec == fzSpecGoexit {
		fromGoroutine = true
	}
	if w := m.byKey[key]; w != nil && !fromGoroutine && msg.ctx != fzCtxCanceled && msg.ctx != fzCtxDeadline {
		// The test goroutine would wait at a gate for ever.
		m.releaseAll(w)
	}
	w := m.byKey[key]
	it, ctx, cancel := m.newItem(fzKindCall, key, msg)
	adm := m.admission(w, it)
	if adm == fzSkip {
		cancel()
		m.logf("%s: skipped, since the model cannot tell whether its mailbox has room", it)
		return nil
	}
	it.mustInline = adm == fzAccept && len(w.items) == 0 && ctx.Done() == nil
	if fromGoroutine {
		m.logf("%s, from a goroutine", it)
		m.callFromGoroutine(it, w, ctx, adm)
		return it
	}
	m.logf("%s", it)
	it.callerGID = m.gid
	it.reply, it.err = m.d.To(key).Do(ctx, it.job())
	cancel()
	m.admitted(it, w, adm, errors.Is(it.err, runtime.ErrMailboxFull))
	m.observe(it)
	return it
}

// admitted records what the mailbox of w did with it, where the model left
// that open (fzFullOrAccept) by whether it was refusedFull.
func (m *fzRun) admitted(it *fzItem, w *fzWorker, adm fzAdmit, refusedFull bool) {
	switch {
	case adm == fzRefuse:
		m.refuse(it, w)
	case adm == fzFullOrAccept && refusedFull:
		it.allow = fzFull
		m.refuse(it, w)
	default:
		m.accept(it, w)
	}
}

// fzSender makes one call, or sends one Tell, from a goroutine of its own.
type fzSender struct {
	d   *WorkerDispatcher
	ctx context.Context
	it  *fzItem
	// gid is the sender's goroutine, set before ready is closed; returned
	// and the item's reply and err are set before done is closed.
	gid      string
	ready    chan struct{}
	returned bool
	done     chan struct{}
}

func (m *fzRun) newSender(it *fzItem, ctx context.Context) *fzSender {
	s := &fzSender{d: m.d, ctx: ctx, it: it, ready: make(chan struct{}), done: make(chan struct{})}
	it.snd = s
	m.senders = append(m.senders, s.done)
	go s.send()
	<-s.ready
	it.callerGID = s.gid
	return s
}

func (s *fzSender) send() {
	defer close(s.done)
	s.gid = goroutineID()
	close(s.ready)
	if s.it.kind == fzKindTell {
		s.d.To(s.it.key).Tell(s.ctx, s.it.note())
		s.returned = true
		return
	}
	reply, err := s.d.To(s.it.key).Do(s.ctx, s.it.job())
	s.it.reply, s.it.err, s.returned = reply, err, true
}

// callFromGoroutine makes the call it from a goroutine of its own, and waits
// until its mailbox has accepted it or it has returned, so that what the test
// sends next is queued behind it.
func (m *fzRun) callFromGoroutine(it *fzItem, w *fzWorker, ctx context.Context, adm fzAdmit) {
	m.t.Helper()
	before := 0
	if w != nil {
		before = len(w.items)
	}
	s := m.newSender(it, ctx)
	accepted := false
	if adm != fzRefuse {
		accepted = m.awaitAccepted(it, w, before)
	} else {
		select {
		case <-s.done:
		case <-time.After(fzRoomWait):
			m.fatalf("%s, which its mailbox refuses, had not returned after %v", it, fzRoomWait)
		}
	}
	m.admitted(it, w, adm, !accepted)
	if !accepted {
		m.poll(it)
		return
	}
	if it.cancel != nil && !(w.stopOnPanic && it.poisons()) {
		m.cancelable = append(m.cancelable, it)
	}
	m.heldIfHold(it)
}

// awaitAccepted waits until the Stats of w count the message sent from
// it's goroutine as accepted, or the goroutine is done, and reports whether
// the mailbox accepted it: a sender the model lets in is refused only with
// ErrMailboxFull.
func (m *fzRun) awaitAccepted(it *fzItem, w *fzWorker, before int) bool {
	m.t.Helper()
	deadline := time.Now().Add(fzRoomWait)
	for {
		s, ok := m.d.Stats()[w.key]
		if ok && s.Queued+int(s.Handled+s.Failed+s.Panics) > before {
			return true
		}
		select {
		case <-it.snd.done:
			return !it.snd.returned || !errors.Is(it.err, runtime.ErrMailboxFull)
		default:
		}
		if time.Now().After(deadline) {
			m.fatalf("%s was neither accepted nor refused within %v", it, fzRoomWait)
		}
		goruntime.Gosched()
	}
}

// heldIfHold records an accepted hold, and waits until its method waits at
// its gate if nothing blocks it.
func (m *fzRun) heldIfHold(it *fzItem) {
	if it.hold == nil {
		return
	}
	m.holds = append(m.holds, it.hold)
	m.awaitStarted(it)
}

// callAsync is a DoAsync of msg, with two OnResolve callbacks if callbacks
// is set (the second calls runtime.Goexit, which must end only its own
// goroutine); a third is added once the Future is seen resolved.
func (m *fzRun) callAsync(key string, msg fzMsg, callbacks bool) *fzItem {
	m.t.Helper()
	w := m.byKey[key]
	it, ctx, cancel := m.newItem(fzKindAsync, key, msg)
	adm := m.admission(w, it)
	if it.ctxDone || it.ctxEnds {
		// The runtime's context.AfterFunc may fail it with its context's
		// error before a refusal does, which leaves a refusal for full
		// untold.
		switch adm {
		case fzRefuse:
			it.allow |= fzCanceled
		case fzFullOrAccept:
			adm = fzSkip
		}
	}
	if adm == fzSkip {
		cancel()
		m.logf("%s: skipped, since the model cannot tell whether its mailbox has room", it)
		return nil
	}
	m.logf("%s", it)
	it.callerGID = m.gid
	it.fut = m.d.To(key).DoAsync(ctx, it.job())
	refusedFull := false
	if it.fut.Resolved() {
		_, err := it.fut.Await(context.Background())
		refusedFull = errors.Is(err, runtime.ErrMailboxFull)
	}
	if callbacks {
		id, tr := it.id, m.tr
		it.fut.OnResolve(func(v Reply, err error) { tr.resolved(id, v, err) })
		it.fut.OnResolve(func(v Reply, err error) {
			tr.resolved(id, v, err)
			goruntime.Goexit()
		})
		it.callbacks = 2
	}
	m.admitted(it, w, adm, refusedFull)
	if it.w == nil {
		if !m.poll(it) {
			m.fatalf("%s, which could not be delivered, returned an unresolved Future", it)
		}
		return it
	}
	if it.cancel != nil && !(w.stopOnPanic && it.poisons()) {
		m.cancelable = append(m.cancelable, it)
	}
	m.heldIfHold(it)
	return it
}

// tell is a Tell of msg. A Tell whose context is cancelable has it canceled
// once Send has returned: the message must run all the same.
func (m *fzRun) tell(key string, msg fzMsg) *fzItem {
	m.t.Helper()
	if msg.spec == fzSpecPanicAfter && fzAvoids("tell-panic-after-next") {
		msg.spec = fzSpecPass
	}
	w := m.byKey[key]
	it, ctx, cancel := m.newItem(fzKindTell, key, msg)
	adm := m.admission(w, it)
	doomed := w != nil && m.doomed(w)
	if doomed {
		// A message sent this operation will stop the recipient: this one
		// fails, refused or queued behind it, which the model does not
		// count as accepted since the recipient is gone when next it looks.
		it.allow = fzClosed | fzNoRecipient
		if w.size > 0 {
			it.allow |= fzFull
		}
	}
	if adm == fzSkip {
		cancel()
		m.logf("%s: skipped, since it would wait for room for ever", it)
		return nil
	}
	m.logf("%s", it)
	m.tells++
	m.d.To(key).Tell(ctx, it.note())
	if msg.ctx == fzCtxCancelable {
		cancel()
		it.ctxDone = true
	}
	// Every refusal reaches the dead-letter handler before Send returns.
	r := m.tr.record(it.id)
	refusedFull, refusedCtx := false, false
	for _, d := range r.dead {
		refusedFull = refusedFull || errors.Is(d.Err, runtime.ErrMailboxFull)
		refusedCtx = refusedCtx || isContextErr(d.Err)
	}
	switch {
	case doomed:
		m.refuse(it, nil)
	case refusedCtx && it.ctxEnds:
		it.allow = fzCanceled
		m.refuse(it, w)
	case adm == fzRefuse:
		m.refuse(it, w)
		if !m.poll(it) {
			m.fatalf("%s, which its mailbox refuses, had not reached the dead-letter handler when Tell returned", it)
		}
	default:
		m.admitted(it, w, adm, refusedFull)
	}
	if it.w != nil {
		m.heldIfHold(it)
	}
	return it
}

// doomed reports whether a message sent during this operation will stop w.
func (m *fzRun) doomed(w *fzWorker) bool {
	return slices.ContainsFunc(m.dooms, func(it *fzItem) bool { return it.w == w })
}

// burst sends many Tells in a row, so that the recipient runs them as one
// run of their lane: 4+5*(v%8) of them, with the context (v/8)%4 picks,
// all normal but one, whose job is x%8, in the middle or, for v/32 odd,
// last.
func (m *fzRun) burst(key string, v, x int) {
	m.t.Helper()
	n := 4 + 5*(v%8)
	ctx := [4]fzCtx{fzCtxBackground, fzCtxValue, fzCtxCancelable, fzCtxFar}[(v/8)%4]
	special, at := fzJob(x%8), n/2
	if (v/32)%2 == 1 {
		at = n - 1
	}
	if special.holds() {
		// A hold in a run would keep the rest queued: that is what holdOp
		// does; here the run is what is under test.
		special = fzNormal
	}
	m.logf("a burst of %d Tells to %s, the %d-th %s", n, key, at, special)
	for i := range n {
		msg := fzMsg{job: fzNormal, ctx: ctx}
		if i == at {
			msg.job = special
		}
		m.tell(key, msg)
	}
}

// holdOp sends a message that waits at a gate: v%4 picks a DoAsync with
// Background, one with a context fzOpCancel may cancel while it waits, a
// Tell (whose context is canceled at once) or a Do from a goroutine of its
// own, which runs on that goroutine if the recipient is idle; (v/4)%2 picks a
// method that watches its context or one that ignores it.
func (m *fzRun) holdOp(key string, v int) {
	m.t.Helper()
	job := fzHoldJob
	if (v/4)%2 == 1 {
		job = fzStuck
	}
	switch v % 4 {
	case 0:
		m.callAsync(key, fzMsg{job: job}, false)
	case 1:
		m.callAsync(key, fzMsg{job: job, ctx: fzCtxCancelable}, false)
	case 2:
		m.tell(key, fzMsg{job: job, ctx: fzCtxCancelable})
	case 3:
		m.call(key, fzMsg{job: job}, true)
	}
}
