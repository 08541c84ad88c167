package runtime_test

import (
	"context"
	"slices"
	"time"
)

// finish closes the dispatcher and checks that everything sent has ended
// exactly once, as the model allows: calls and Futures with one result
// that Await keeps returning, each OnResolve callback called once with it,
// one-way messages handled or dead-lettered once; that the methods ran in
// the order sent; and that everything the callbacks and interceptors were
// told adds up.
func (m *fzRun) finish() {
	m.t.Helper()
	for _, h := range m.holds {
		m.release(h)
	}
	m.checkStep()
	ctx, cancel := context.WithTimeout(context.Background(), fzDrainWait)
	defer cancel()
	m.close(0)

	for _, it := range m.items {
		for !m.poll(it) {
			if ctx.Err() != nil {
				m.fatalf("%s never ended", it)
			}
			m.waitFor(it, time.Millisecond)
		}
		m.checkRan(it)
		if it.kind == fzKindAsync {
			m.checkFuture(ctx, it)
		}
	}
	handled, dead := 0, 0
	for _, it := range m.items {
		if it.kind != fzKindTell {
			continue
		}
		r := m.tr.record(it.id)
		dead += len(r.dead)
		if len(r.dead) == 0 && r.began > 0 {
			handled++
		}
		if len(r.dead) > 0 && it.got == fzRan && !expectsDeadLetter(it.msg) {
			m.fatalf("%s was handled and then dead-lettered: %v", it, r.dead[0].Err)
		}
	}
	m.tr.mu.Lock()
	allDead := m.tr.dead
	m.tr.mu.Unlock()
	if allDead != dead {
		m.fatalf("the dead-letter handler got %d dead letters, but the Tells sent account for %d", allDead, dead)
	}
	for _, w := range m.workers {
		m.checkOrder(w)
	}
	m.checkLogs(ctx)
	m.checkIntercepted(ctx)
	m.checkProblems()
}

// checkIntercepted checks that the outer interceptor got exactly the
// messages that began. A recipient may still be handling a message whose
// caller gave up on it, so it waits until the counts agree.
func (m *fzRun) checkIntercepted(ctx context.Context) {
	m.t.Helper()
	if !m.intercepting {
		return
	}
	for {
		started := 0
		for _, it := range m.items {
			// An interceptor that did not call next got its message, which
			// counts as failed all the same.
			if it.w != nil && (m.class(it) != fzFailed || m.tr.record(it.id).intercepted > 0) {
				started++
			}
		}
		m.tr.mu.Lock()
		outer := m.tr.outer
		m.tr.mu.Unlock()
		if outer == started {
			return
		}
		if outer < started || ctx.Err() != nil {
			m.fatalf("the outer interceptor got %d messages, but %d began", outer, started)
		}
		m.waitProgress(time.Millisecond)
	}
}

// checkFuture checks the resolved Future of it: Done is closed, Resolved
// true, Await returns the same result every time, and each OnResolve
// callback is called once with it.
func (m *fzRun) checkFuture(ctx context.Context, it *fzItem) {
	m.t.Helper()
	v, err := it.fut.Await(ctx)
	select {
	case <-it.fut.Done():
	default:
		m.fatalf("%s: Await returned but Done is not closed", it)
	}
	if !it.fut.Resolved() {
		m.fatalf("%s: Await returned but Resolved() is false", it)
	}
	if v != it.reply || err != it.err {
		m.fatalf("%s: Await returned %+v, %v after %+v, %v", it, v, err, it.reply, it.err)
	}
	for {
		r := m.tr.record(it.id)
		if len(r.callbacks) > it.callbacks {
			m.fatalf("%s: %d OnResolve callbacks ran, of %d given", it, len(r.callbacks), it.callbacks)
		}
		for _, c := range r.callbacks {
			if c.v != v || c.err != err {
				m.fatalf("%s: an OnResolve callback got %+v, %v; Await returns %+v, %v", it, c.v, c.err, v, err)
			}
		}
		if len(r.callbacks) == it.callbacks {
			return
		}
		if ctx.Err() != nil {
			m.fatalf("%s: %d OnResolve callbacks ran, of %d given", it, len(r.callbacks), it.callbacks)
		}
		m.waitProgress(time.Millisecond)
	}
}

// checkLogs waits until the log reports every panic of the dead-letter
// handler, which the runtime logs once the handler has returned.
func (m *fzRun) checkLogs(ctx context.Context) {
	m.t.Helper()
	for {
		m.tr.mu.Lock()
		logged, panicked := m.tr.logged, m.tr.panicked
		m.tr.mu.Unlock()
		if logged == panicked {
			return
		}
		if logged > panicked || ctx.Err() != nil {
			m.fatalf("the log reports %d panics of the dead-letter handler, which panicked %d times", logged, panicked)
		}
		m.waitProgress(time.Millisecond)
	}
}

// checkOrder checks guarantee 2 on one worker: the methods that began did
// so in the order their messages were accepted, each accepted by that
// worker.
func (m *fzRun) checkOrder(w *fzWorker) {
	m.t.Helper()
	last := -1
	for _, id := range m.tr.began(w.name) {
		i := slices.IndexFunc(w.items, func(it *fzItem) bool { return it.id == id })
		if i < 0 {
			m.fatalf("%s began message #%d, which its mailbox did not accept", w.name, id)
		}
		if i <= last {
			m.fatalf("%s began %s after %s, which was sent after it", w.name, w.items[i], w.items[last])
		}
		last = i
	}
}

// teardown leaves nothing running, whether the run passed or failed half
// way: goleak checks after the tests.
func (m *fzRun) teardown() {
	m.watch()
	defer m.stopWatch()
	for _, it := range m.items {
		if it.hold != nil {
			it.hold.open()
		}
	}
	for _, cancel := range m.cancels {
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), fzDrainWait)
	defer cancel()
	_ = m.d.Close(ctx)
	for _, done := range m.senders {
		<-done
	}
}
