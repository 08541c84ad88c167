package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// newWorker makes the model of a recipient under key, named key#n so that
// each is told apart from one registered before under the same key.
func (m *fzRun) newWorker(key string) *fzWorker {
	m.nextID++
	w := &fzWorker{key: key, name: fmt.Sprintf("%s#%d", key, m.nextID), size: runtime.DefaultMailboxSize}
	if m.unbounded {
		w.size = 0
	}
	w.impl = &fzImpl{name: w.name, key: key, tr: m.tr, d: m.d}
	return w
}

// recipientOptions returns the options that the variant v gives a worker,
// and applies them to its model: v%8 picks the mailbox (the dispatcher's
// default, 1, 2 or 3 places, unbounded, 2 or 1 places failing fast), and the
// bits of v/8 add WithDedicatedGoroutine, WithStopOnPanic and WithFailFast.
func recipientOptions(w *fzWorker, v int) ([]runtime.RecipientOption, string) {
	var opts []runtime.RecipientOption
	var names []string
	size := func(n int) {
		opts = append(opts, runtime.WithMailboxSize(n))
		names = append(names, fmt.Sprintf("WithMailboxSize(%d)", n))
		w.size = n
	}
	failFast := func() {
		opts = append(opts, runtime.WithFailFast())
		names = append(names, "WithFailFast")
		w.failFast = true
	}
	switch v % 8 {
	case 1, 2, 3:
		size(v % 8)
	case 4:
		opts = append(opts, runtime.WithUnbounded())
		names = append(names, "WithUnbounded")
		w.size = 0
	case 5:
		size(2)
		failFast()
	case 6:
		size(1)
		failFast()
	}
	flags := v / 8
	if flags&1 != 0 {
		opts = append(opts, runtime.WithDedicatedGoroutine())
		names = append(names, "WithDedicatedGoroutine")
	}
	if flags&2 != 0 {
		opts = append(opts, runtime.WithStopOnPanic())
		names = append(names, "WithStopOnPanic")
		w.stopOnPanic = true
	}
	if flags&4 != 0 && !w.failFast {
		failFast()
	}
	return opts, strings.Join(names, ", ")
}

// register is Register of a fresh worker with the options of variant v, or
// of nil for v%8 == 7.
func (m *fzRun) register(key string, v int) {
	m.t.Helper()
	if v%8 == 7 {
		m.logf("Register(%s, nil)", key)
		want := []error{runtime.ErrNilRecipient}
		if m.closed {
			want = append(want, runtime.ErrClosed)
		}
		if m.byKey[key] != nil {
			want = append(want, runtime.ErrDuplicateKey)
		}
		m.wantErr("Register(nil)", m.d.Register(key, nil), want...)
		return
	}
	w := m.newWorker(key)
	opts, names := recipientOptions(w, v)
	m.logf("Register(%s, %s) as %s", key, names, w.name)
	err := m.d.Register(key, w.impl, opts...)
	switch {
	case m.closed:
		m.wantErr("Register after Close", err, runtime.ErrClosed)
	case m.byKey[key] != nil:
		m.wantErr("Register of a registered key", err, runtime.ErrDuplicateKey)
	default:
		m.wantErr("Register", err, nil)
		m.added(w)
	}
}

// added records that w is registered under its key.
func (m *fzRun) added(w *fzWorker) {
	m.byKey[w.key] = w
	m.lastByKey[w.key] = w
	m.workers = append(m.workers, w)
}

// forget records that w is no longer registered.
func (m *fzRun) forget(w *fzWorker) {
	w.gone = true
	w.impl.gone.Store(true)
	if m.byKey[w.key] == w {
		delete(m.byKey, w.key)
	}
}

// stopContext gives Unregister and Close, for variant 1 and 2, a context
// that has ended or ends soon, so that the model sees them give up on a
// blocked recipient; variant 0 is Background, which never gives up.
func (m *fzRun) stopContext(v int) (context.Context, context.CancelFunc, string) {
	switch v % 3 {
	case 1:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel, "canceled"
	case 2:
		if m.timedWaits < fzMaxTimedWaits {
			m.timedWaits++
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			return ctx, cancel, "1ms deadline"
		}
		ctx, cancel := context.WithDeadline(context.Background(), time.Now())
		return ctx, cancel, "expired deadline"
	}
	return context.Background(), func() {}, "Background"
}

// unregister is Unregister with the context stopContext gives variant v.
// Without a deadline, Unregister would wait at a gate for ever: the holds
// are released first.
func (m *fzRun) unregister(key string, v int) {
	m.t.Helper()
	if w := m.byKey[key]; w != nil && v%3 == 0 {
		m.releaseAll(w)
	}
	w := m.byKey[key]
	ctx, cancel, ctxName := m.stopContext(v)
	defer cancel()
	if w != nil {
		w.impl.gone.Store(true)
	}
	m.logf("Unregister(%s, %s)", key, ctxName)
	err := m.d.Unregister(ctx, key)
	switch {
	case m.closed:
		m.wantErr("Unregister after Close", err, runtime.ErrNoRecipient, runtime.ErrClosed)
	case w == nil:
		m.wantErr("Unregister of an unregistered key", err, runtime.ErrNoRecipient)
	default:
		m.forget(w)
		m.stopped("Unregister("+key+")", ctx, err, v%3 != 0, w)
	}
}

// close is Close: variant 0 opens every gate first and waits for the drain,
// 1 has a canceled context and 2 a deadline.
func (m *fzRun) close(v int) {
	m.t.Helper()
	v %= 3
	var (
		ctx     context.Context
		cancel  context.CancelFunc
		ctxName string
	)
	if v == 0 {
		for _, w := range m.registered() {
			m.releaseAll(w)
		}
		ctx, cancel = context.WithTimeout(context.Background(), fzDrainWait)
		ctxName = "drain"
	} else {
		ctx, cancel, ctxName = m.stopContext(v)
	}
	defer cancel()
	ws := m.registered()
	for _, w := range ws {
		w.impl.gone.Store(true)
	}
	m.logf("Close(%s)", ctxName)
	err := m.d.Close(ctx)
	if m.closed {
		m.wantErr("Close of a closed dispatcher", err, nil)
		return
	}
	m.closed = true
	for _, w := range ws {
		m.forget(w)
	}
	m.stopped("Close", ctx, err, v != 0, ws...)
}

// stopped applies to the model what an Unregister or Close that returned err
// says about the workers it stopped: nil means each has drained, an error
// means it gave up on what had not started.
func (m *fzRun) stopped(what string, ctx context.Context, err error, mayGiveUp bool, ws ...*fzWorker) {
	m.t.Helper()
	if err == nil {
		for _, w := range ws {
			if f := m.front(w); f >= 0 {
				m.fatalf("%s returned nil while %s waited at its gate", what, w.items[f])
			}
		}
		for _, w := range ws {
			m.drained(what, w)
			m.retire(what, w, false)
		}
		return
	}
	if !mayGiveUp {
		m.fatalf("%s = %v, want nil", what, err)
	}
	if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		m.fatalf("%s = %v, want nil or an error wrapping its context's", what, err)
	}
	for _, w := range ws {
		m.retire(what, w, true)
		m.gaveUp(what, w)
	}
}

// drained checks that a worker reported drained has ended everything it
// accepted.
func (m *fzRun) drained(what string, w *fzWorker) {
	m.t.Helper()
	w.drained = true
	for _, it := range w.items {
		m.mustEnd(what+" returned nil", it)
	}
}

// gaveUp checks what an Unregister or Close that gave up on w must have
// done before returning: ended every message that had not started, whether
// still queued or taken by the recipient behind a method stuck at its gate,
// calls with ErrClosed and one-way messages as dead letters. The stuck
// method goes on, and ends its message as it would have.
func (m *fzRun) gaveUp(what string, w *fzWorker) {
	m.t.Helper()
	f := m.front(w)
	for _, it := range w.items {
		if it.got != 0 {
			continue
		}
		switch {
		case f >= 0 && it.pos > f:
			it.allow, it.aborted = fzClosed, true
			if it.kind != fzKindTell && (it.ctxDone || it.ctxEnds) {
				it.allow |= fzCanceled
			}
			m.mustEnd(what+" gave up and returned", it)
		case f < 0:
			it.allow |= fzClosed
			it.aborted = true
		}
	}
	w.doom = nil
}

// mustEnd fails unless it has ended. A call made from a goroutine of the
// test's has its reply, but that goroutine returns a moment later, and an
// asynchronous call whose context ended is resolved by the runtime's
// context.AfterFunc goroutine: for those it waits.
func (m *fzRun) mustEnd(what string, it *fzItem) {
	m.t.Helper()
	if m.poll(it) {
		return
	}
	if it.snd == nil && !(it.kind == fzKindAsync && (it.ctxDone || it.ctxEnds)) {
		m.fatalf("%s before %s had ended; the tracker saw: %v", what, it, m.tr.record(it.id))
	}
	m.awaitEnd(what, it)
}

// awaitEnd waits until it has ended, failing after fzRoomWait.
func (m *fzRun) awaitEnd(what string, it *fzItem) {
	m.t.Helper()
	deadline := time.Now().Add(fzRoomWait)
	for !m.poll(it) {
		if time.Now().After(deadline) {
			m.fatalf("%s, but %s had not ended %v later; the tracker saw: %v", what, it, fzRoomWait, m.tr.record(it.id))
		}
		m.waitFor(it, time.Millisecond)
	}
}

// waitFor waits until it may have ended, for at most d.
func (m *fzRun) waitFor(it *fzItem, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	var ended <-chan struct{}
	switch {
	case it.snd != nil:
		ended = it.snd.done
	case it.fut != nil:
		ended = it.fut.Done()
	default:
		ended = m.tr.progress
	}
	select {
	case <-ended:
	case <-t.C:
	}
}
