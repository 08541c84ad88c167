package runtime_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// checkStep checks, after every operation, what the runtime's goroutines
// reported, every message that has ended since, Keys and Stats.
func (m *fzRun) checkStep() {
	m.t.Helper()
	m.settleDooms()
	m.checkProblems()
	kept := m.pending[:0]
	for _, it := range m.pending {
		if !m.poll(it) {
			kept = append(kept, it)
		}
	}
	clear(m.pending[len(kept):])
	m.pending = kept
	m.checkStats()
}

// checkProblems fails on anything wrong that the tracker saw: two methods
// at once, a context that lost its values or kept its cancellation, a
// message begun twice, more reports of the dead-letter handler's panics
// than it panicked.
func (m *fzRun) checkProblems() {
	m.t.Helper()
	m.tr.mu.Lock()
	problems, logged, panicked := slices.Clone(m.tr.problems), m.tr.logged, m.tr.panicked
	m.tr.mu.Unlock()
	if len(problems) > 0 {
		m.fatalf("seen on the runtime's goroutines:\n%s", strings.Join(problems, "\n"))
	}
	if logged > panicked {
		m.fatalf("the log reports %d panics of the dead-letter handler, which panicked %d times", logged, panicked)
	}
}

// checkStats compares Keys and Stats with the model: every message accepted
// is queued or ended, exactly; none certainly waiting counts as ended; and a
// call's caller has its result only once the call, and everything ahead of
// it, counts as ended.
func (m *fzRun) checkStats() {
	m.t.Helper()
	ws := m.registered()
	want := make([]string, len(ws))
	for i, w := range ws {
		want[i] = w.key
	}
	keys := m.d.Keys()
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		m.fatalf("Keys() = %v, want %v", keys, want)
	}
	stats := m.d.Stats()
	m.checkRetired(stats)
	for _, w := range ws {
		s, ok := stats[w.key]
		if !ok {
			m.fatalf("Stats() lacks %s: %+v", w.key, stats)
		}
		ended := int(s.Handled + s.Failed + s.Panics)
		lo, _ := m.occupancy(w)
		switch {
		case s.Queued+ended != len(w.items):
			m.fatalf("Stats()[%s] = %+v accounts for %d messages, %s accepted %d", w.key, s, s.Queued+ended, w.name, len(w.items))
		case s.Queued < lo:
			m.fatalf("Stats()[%s].Queued = %d while %d messages certainly wait", w.key, s.Queued, lo)
		case ended < m.witnessed(w):
			m.fatalf("Stats()[%s] = %+v counts %d messages as ended, but the callers of the first %d have their results", w.key, s, ended, m.witnessed(w))
		case s.Rejected != uint64(w.rejected):
			m.fatalf("Stats()[%s].Rejected = %d, but %d sends were refused with ErrMailboxFull", w.key, s.Rejected, w.rejected)
		case s.HighWater < s.Queued || s.HighWater > len(w.items):
			m.fatalf("Stats()[%s] = %+v is inconsistent with %d messages accepted", w.key, s, len(w.items))
		}
	}
}

// checkRetired checks the counters Stats keeps of the keys no longer
// registered: exactly the keys whose last recipient an Unregister or a
// Close stopped, each with the counters it had when it was stopped, or, if
// the stop gave up while a method ran, counters that have only moved on as
// that method ended.
func (m *fzRun) checkRetired(stats map[string]runtime.Stats) {
	m.t.Helper()
	for k, s := range stats {
		if m.byKey[k] != nil {
			continue
		}
		w := m.lastByKey[k]
		switch {
		case w == nil || !w.retired:
			m.fatalf("Stats()[%s] = %+v, of a key that no Unregister or Close stopped", k, s)
		case w.drained && s != w.final:
			m.fatalf("Stats()[%s] = %+v, but %s had %+v when it drained", k, s, w.name, w.final)
		case !movedOn(w.final, s):
			m.fatalf("Stats()[%s] = %+v, but %s had %+v when it was stopped: kept counters may only count more of its messages as ended", k, s, w.name, w.final)
		}
	}
	for k, w := range m.lastByKey {
		if _, ok := stats[k]; !ok && m.byKey[k] == nil && w.retired {
			m.fatalf("Stats() lacks the last counters of %s, stopped by an Unregister or a Close: %+v", w.name, stats)
		}
	}
}

// retire checks the counters Stats keeps of w once an Unregister or a
// Close that returned has stopped it, and records them: they add up to what
// w accepted; once w drained, they count every message as it ended; once
// the Unregister or Close gave up, nothing that it failed counts as queued.
func (m *fzRun) retire(what string, w *fzWorker, gaveUp bool) {
	m.t.Helper()
	w.retired = true
	s, ok := m.d.Stats()[w.key]
	if !ok {
		m.fatalf("%s returned, and Stats() lacks the last counters of %s", what, w.name)
	}
	w.final = s
	ended := int(s.Handled + s.Failed + s.Panics)
	switch {
	case s.Queued+ended != len(w.items):
		m.fatalf("%s returned, and Stats()[%s] = %+v accounts for %d messages, %s accepted %d", what, w.key, s, s.Queued+ended, w.name, len(w.items))
	case s.Rejected != uint64(w.rejected):
		m.fatalf("%s returned, and Stats()[%s].Rejected = %d, but %d sends were refused with ErrMailboxFull", what, w.key, s.Rejected, w.rejected)
	case s.HighWater < s.Queued || s.HighWater > len(w.items):
		m.fatalf("%s returned, and Stats()[%s] = %+v is inconsistent with %d messages accepted", what, w.key, s, len(w.items))
	case !gaveUp:
		want := m.wantCounts(w)
		want.HighWater = s.HighWater
		if s != want {
			m.fatalf("%s drained %s, and Stats()[%s] = %+v, want %+v", what, w.name, w.key, s, want)
		}
	case gaveUp && !(what == "Close" && fzAvoids("close-keeps-counts-before-failing")):
		if most := m.unendedAtGiveUp(w); s.Queued > most {
			m.fatalf("%s gave up on %s, and Stats()[%s] = %+v counts %d messages as queued, but at most %d had not ended", what, w.name, w.key, s, s.Queued, most)
		}
	}
}

// unendedAtGiveUp returns how many messages of w may not have ended, as
// its counters count, once an Unregister or Close gave up on it: the hold
// that blocks it and the one-way messages that ran just before it, which
// its server counts once, when it next counts. With no hold blocking it,
// the model cannot tell.
func (m *fzRun) unendedAtGiveUp(w *fzWorker) int {
	f := m.front(w)
	if f < 0 {
		return len(w.items)
	}
	n := 1
	for i := f - 1; i >= 0 && w.items[i].kind == fzKindTell && n < fzFlushEvery; i-- {
		n++
	}
	return n
}

// fzFlushEvery is how many one-way messages the runtime's Stats may count
// as queued once they have run, the one running among them.
const fzFlushEvery = 32

// wantCounts returns the Stats of w once all its messages have ended.
func (m *fzRun) wantCounts(w *fzWorker) runtime.Stats {
	want := runtime.Stats{Rejected: uint64(w.rejected)}
	for _, it := range w.items {
		switch m.class(it) {
		case fzHandled:
			want.Handled++
		case fzFailed:
			want.Failed++
		case fzPanicked:
			want.Panics++
		}
	}
	return want
}

// witnessed returns how many messages of w the counters must count as
// ended: a call whose caller has its result from the recipient counts, with
// everything ahead of it, before that.
func (m *fzRun) witnessed(w *fzWorker) int {
	for i := len(w.items) - 1; i >= 0; i-- {
		if it := w.items[i]; it.kind != fzKindTell && it.got == fzRan {
			return i + 1
		}
	}
	return 0
}

// checkIdle waits until the counters of every worker whose messages have
// all ended count none as queued, as they must once it is idle. A call
// whose caller stopped waiting has an outcome but may not have ended: its
// method may still wait at its gate, and Stats counts it as queued until it
// returns. A worker with a gate still shut is not known to be idle.
func (m *fzRun) checkIdle() {
	m.t.Helper()
	m.logf("check that idle workers count nothing queued")
	for _, w := range m.registered() {
		if slices.ContainsFunc(w.items, func(it *fzItem) bool {
			return !m.poll(it) || it.hold != nil && !it.hold.opened
		}) {
			continue
		}
		deadline := time.Now().Add(fzRoomWait)
		for {
			s := m.d.Stats()[w.key]
			if s.Queued == 0 {
				break
			}
			if time.Now().After(deadline) {
				m.fatalf("Stats()[%s] = %+v %v after its every message ended", w.key, s, fzRoomWait)
			}
			goruntime.Gosched()
		}
	}
}

// poll observes the outcome of it if it has one yet, and reports whether it
// has.
func (m *fzRun) poll(it *fzItem) bool {
	m.t.Helper()
	if it.got != 0 {
		return true
	}
	switch it.kind {
	case fzKindCall:
		if it.snd == nil {
			// Observed when it returned.
			return false
		}
		select {
		case <-it.snd.done:
		default:
			return false
		}
	case fzKindAsync:
		if !it.fut.Resolved() {
			return false
		}
		it.reply, it.err = it.fut.Await(context.Background())
	case fzKindTell:
		r := m.tr.record(it.id)
		if len(r.dead) == 0 && !r.skipped && !(r.exited && !expectsDeadLetter(it.msg)) {
			return false
		}
	}
	m.observe(it)
	return true
}

// expectsDeadLetter reports whether a one-way message of msg that runs ends
// as a dead letter.
func expectsDeadLetter(msg fzMsg) bool {
	return msg.job.panics() || msg.spec.panics() || msg.spec == fzSpecSkipErr
}

// observe classifies the outcome of it and fails at once if the model does
// not allow it, which is where the trace is most telling.
func (m *fzRun) observe(it *fzItem) {
	m.t.Helper()
	classify := m.classifyCall
	if it.kind == fzKindTell {
		classify = m.classifyTell
	}
	got, detail := classify(it)
	if got&it.allow == 0 {
		extra := ""
		if got == fzFull && it.w != nil {
			// Its mailbox accepted it in the model: count the others.
			lo, hi := m.occupancy(it.w)
			extra = fmt.Sprintf(" (of the %d places of %s, %d were certainly taken and %d messages before it had not ended)",
				it.w.size, it.w.name, max(lo-1, 0), hi-1)
		}
		m.fatalf("%s ended with %s, want %s%s", it, detail, it.allow, extra)
	}
	it.got, it.detail = got, detail
	m.checkRan(it)
	if it.callbacks > 0 {
		// A callback given a resolved Future runs all the same.
		id, tr := it.id, m.tr
		it.fut.OnResolve(func(v Reply, err error) { tr.resolved(id, v, err) })
		it.callbacks++
	}
}

// checkRan checks that what the caller was told agrees with what the
// recipient did: a message reported as not run never began, and one that
// ran began, on its caller's goroutine only if it was a call that could
// not be abandoned, and there certainly if its recipient had never had a
// message.
func (m *fzRun) checkRan(it *fzItem) {
	m.t.Helper()
	r := m.tr.record(it.id)
	started := r.began > 0 || r.intercepted > 0
	abandonedRunning := it.kind == fzKindCall && (it.ctxEnds || it.cancel != nil && it.ctxDone)
	switch {
	case it.got != fzRan && started && !abandonedRunning:
		m.fatalf("%s ended with %s, but began on %s", it, it.detail, r.by)
	case it.got == fzRan && !started:
		m.fatalf("%s ended with %s, but its method never began", it, it.detail)
	case it.got != fzRan || it.kind == fzKindTell || r.gid == "":
	case r.gid == it.callerGID && (it.kind != fzKindCall || r.sent.canEnd):
		m.fatalf("%s ran on its caller's goroutine, which could have stopped waiting", it)
	case r.gid != it.callerGID && it.mustInline:
		m.fatalf("%s, which cannot be abandoned, to %s, which had never had a message, did not run on its caller's goroutine", it, it.w.name)
	}
}

// wantPanic returns what the *PanicError of a message of msg must show, and
// whether it ends with one at all: the interceptor's panic or Goexit before
// next, the method's Goexit, which nothing after it sees, the interceptor's
// panic after next, and the method's panic, in that order.
func wantPanic(msg fzMsg) (func(*runtime.PanicError) bool, bool) {
	isValue := func(v any) func(*runtime.PanicError) bool {
		return func(pe *runtime.PanicError) bool { return pe.Value == v }
	}
	isGoexit := func(pe *runtime.PanicError) bool { return errors.Is(pe, runtime.ErrGoexit) }
	switch {
	case msg.spec == fzSpecPanicBefore:
		return isValue(fzInterceptorBoom), true
	case msg.spec == fzSpecGoexit:
		return isGoexit, true
	case msg.spec.skips():
		return nil, false
	case msg.job == fzGoexit:
		return isGoexit, true
	case msg.spec == fzSpecPanicAfter:
		return isValue(fzInterceptorBoom), true
	case msg.job == fzPanic:
		return isValue(fzBoom), true
	case msg.job == fzPanicNil:
		return func(pe *runtime.PanicError) bool {
			var pn *goruntime.PanicNilError
			return errors.As(pe, &pn)
		}, true
	}
	return nil, false
}

// classifyCall names how a Do or DoAsync ended, or returns 0 if no outcome
// of the model fits.
func (m *fzRun) classifyCall(it *fzItem) (fzOutcome, string) {
	if it.snd != nil && !it.snd.returned {
		if r := m.tr.record(it.id); (it.msg.job == fzGoexit || it.msg.spec == fzSpecGoexit) && r.gid == it.snd.gid {
			return fzRan, "runtime.Goexit on its caller's goroutine, which ended there"
		}
		return 0, "its caller's goroutine ended inside Do"
	}
	err := it.err
	var pe *runtime.PanicError
	switch {
	case err == nil:
		return m.classifyReply(it)
	case errors.As(err, &pe):
		detail := "a *PanicError: " + err.Error()
		if pe.Recipient != "Worker" || pe.Key != any(it.key) || pe.Method != "Do" {
			return 0, detail + ", which names another method"
		}
		if want, ok := wantPanic(it.msg); ok && want(pe) {
			return fzRan, detail
		}
		return 0, detail
	case errors.Is(err, errFzJobFailed):
		if it.msg.job == fzFail && (it.msg.spec == fzSpecPass || it.msg.spec == fzSpecTwice) {
			return fzRan, "the method's error"
		}
	case errors.Is(err, errFzSkipped):
		if it.msg.spec == fzSpecSkipErr {
			return fzRan, "the interceptor's error"
		}
	case it.kind == fzKindAsync && it.msg.job == fzHoldJob && isContextErr(err) && m.tr.record(it.id).began > 0:
		return fzRan, "the method saw its context end: " + err.Error()
	case isContextErr(err):
		return fzCanceled, err.Error()
	case errors.Is(err, runtime.ErrClosed):
		return fzClosed, err.Error()
	case errors.Is(err, runtime.ErrNoRecipient):
		return fzNoRecipient, err.Error()
	case errors.Is(err, runtime.ErrMailboxFull):
		return fzFull, err.Error()
	}
	return 0, fmt.Sprintf("error %v", err)
}

// classifyReply names a call's success: the reply of its recipient's
// method, having begun as many methods before it as the tracker saw, or
// the zero reply of an interceptor that did not call next.
func (m *fzRun) classifyReply(it *fzItem) (fzOutcome, string) {
	detail := fmt.Sprintf("reply %+v", it.reply)
	if it.msg.spec == fzSpecSkipNil {
		if it.reply == (Reply{}) {
			return fzRan, "the zero reply of an interceptor that did not call next"
		}
		return 0, detail
	}
	if _, panics := wantPanic(it.msg); panics || it.msg.spec == fzSpecSkipErr || it.msg.job == fzFail {
		return 0, detail
	}
	if it.w == nil || it.reply.By != it.w.name || it.reply.Job != it.job() {
		return 0, detail + ", which is not the sent job's from the recipient under its key"
	}
	if seen := slices.Index(m.tr.began(it.w.name), it.id); it.reply.Seen != seen {
		return 0, fmt.Sprintf("%s, but %d methods of %s began before it", detail, seen, it.w.name)
	}
	return fzRan, detail
}

// classifyTell names how a Tell ended, from what the worker, the
// interceptor and the dead-letter handler recorded, or returns 0 if no
// outcome of the model fits.
func (m *fzRun) classifyTell(it *fzItem) (fzOutcome, string) {
	r := m.tr.record(it.id)
	switch {
	case len(r.dead) > 1:
		return 0, fmt.Sprintf("%d dead letters", len(r.dead))
	case len(r.dead) == 0 && r.skipped:
		if it.msg.spec == fzSpecSkipNil {
			return fzRan, "skipped by the interceptor"
		}
		return 0, "skipped by the interceptor"
	case len(r.dead) == 0:
		detail := "handled by " + r.by
		if it.w != nil && r.by == it.w.name && r.returned && !expectsDeadLetter(it.msg) && it.msg.spec != fzSpecSkipNil {
			return fzRan, detail
		}
		return 0, detail
	}
	d := r.dead[0]
	detail := fmt.Sprintf("a dead letter: %v", d.Err)
	if d.Key != any(it.key) {
		return 0, fmt.Sprintf("%s, under key %v", detail, d.Key)
	}
	var pe *runtime.PanicError
	switch err := d.Err; {
	case errors.As(err, &pe):
		if pe.Recipient != "Worker" || pe.Key != any(it.key) || pe.Method != "Tell" {
			return 0, detail + ", which names another method"
		}
		if want, ok := wantPanic(it.msg); ok && want(pe) {
			return fzRan, detail
		}
	case errors.Is(err, errFzSkipped):
		if it.msg.spec == fzSpecSkipErr {
			return fzRan, detail
		}
	case isContextErr(err):
		return fzCanceled, detail
	case errors.Is(err, runtime.ErrClosed):
		return fzClosed, detail
	case errors.Is(err, runtime.ErrNoRecipient):
		return fzNoRecipient, detail
	case errors.Is(err, runtime.ErrMailboxFull):
		return fzFull, detail
	}
	return 0, detail
}

// isContextErr reports whether err is a context's.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fzClass is how Stats counts an ended message.
type fzClass uint8

const (
	fzFailed fzClass = iota
	fzHandled
	fzPanicked
)

// class returns how Stats must count it, once it has ended, from what the
// recipient did with it: a method that began counts as handled unless it,
// or the interceptor after it, panicked; an interceptor that did not call
// next counts as failed, since the method never ran, or as panicked if it
// panicked; a message that reached neither counts as failed.
func (m *fzRun) class(it *fzItem) fzClass {
	r := m.tr.record(it.id)
	switch {
	case r.intercepted > 0 && it.msg.spec.panics():
		return fzPanicked
	case r.intercepted > 0 && it.msg.spec.skips():
		return fzFailed
	case r.began == 0:
		return fzFailed
	case !r.returned:
		return fzPanicked
	}
	return fzHandled
}

// movedOn reports whether the counters now of a stopped recipient differ
// from those it had when it was stopped, was, only by messages that were
// queued then and have ended since.
func movedOn(was, now runtime.Stats) bool {
	total := func(s runtime.Stats) uint64 { return uint64(s.Queued) + s.Handled + s.Failed + s.Panics }
	return now.Queued <= was.Queued && now.Handled >= was.Handled && now.Failed >= was.Failed &&
		now.Panics >= was.Panics && total(now) == total(was) &&
		now.Rejected == was.Rejected && now.HighWater == was.HighWater
}
