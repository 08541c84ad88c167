package runtime

import (
	"context"
	"runtime/debug"
)

// handleRun is the one path by which messages are run and ended, whoever
// serves the recipient: its server, a batch slot at a time, or a synchronous
// caller, inline. It handles n consecutive messages: n calls m, or, for a
// lane l, the n messages of l from position at, which costs one deferred
// recover for the run rather than one per message. With claim set, it claims
// each message from abort first. It counts each message in s's tally, which
// it adds to the counters before a call's caller has its result, and
// publishes each outcome.
//
// It returns how many messages it ended, done, and stops early when abort
// has taken the rest (aborted) or when a method panicked: pe is then the
// panic of the message at position at+done, which the caller ends with
// endPanicked. If a method calls runtime.Goexit instead, handleRun does not
// return: it leaves the message in s.cur for the server to end.
//
// The rule it applies, in its switch: a message runs unless abort is
// failing what is left or, for a call, unless its caller's context has
// ended; a one-way message, once sent, is not taken back.
func (s *server) handleRun(m Message, l laneQueue, at, n int, claim bool) (done int, aborted bool, pe *PanicError) {
	rc := s.rc
	running := false
	defer func() {
		if running {
			pe = rc.panicError(m.Method(), recover())
			s.cur, s.curLane, s.curAt = m, l, at+done
		}
	}()
	intercepted := len(rc.rt.interceptors) > 0
	for ; done < n; done++ {
		if claim && !rc.claim() {
			return done, true, nil
		}
		i := at + done
		var parent context.Context
		if l == nil {
			if parent = startCall(m.hdr()); parent == nil {
				// Its caller gave up on it while it was queued, and left it
				// to us.
				s.t.count(resFailed)
				recycle(m.hdr(), m)
				continue
			}
		}
		if l == nil || rc.flushing.Load() {
			// A call may take long, and a Flush waits: what ended before
			// must not wait to be counted.
			rc.flush(&s.t)
		}
		var err error
		res := resFailed
		switch {
		case rc.failing.Load():
			err = rc.closedErr()
		case l == nil && parent.Err() != nil:
			err = parent.Err()
		case intercepted:
			if l != nil {
				parent = l.ctxAt(i)
			}
			running = true
			res, err = rc.intercept(rc.contextFor(parent, l == nil), m, l, i)
			running = false
		case l != nil:
			// The lane makes the context of its message.
			running = true
			l.runAt(rc, i)
			running = false
			res = resHandled
		default:
			running = true
			m.Run(rc.contextFor(parent, true), rc.impl)
			running = false
			err, res = m.outcome(), resHandled
		}
		s.t.count(res)
		if l == nil {
			rc.flush(&s.t)
		}
		if l == nil || err != nil {
			rc.end(m, l, i, err)
		}
		if res == resPanicked {
			rc.afterPanic()
		}
		rc.flushSome(&s.t)
	}
	return done, false, nil
}

// startCall takes a queued call, whose header is h, from its caller, and
// returns its context, or nil if the caller has given up on it.
func startCall(h *header) context.Context {
	if !h.state.CompareAndSwap(stQueued, stRunning) {
		return nil
	}
	if h.stop != nil {
		h.stop()
	}
	return h.ctx
}

// endPanicked ends m, or the message of the lane l at position at, whose
// method panicked with pe.
func (s *server) endPanicked(m Message, l laneQueue, at int, pe *PanicError) {
	s.cur, s.curLane = nil, nil
	s.t.count(resPanicked)
	if l == nil {
		s.flush()
	}
	s.rc.end(m, l, at, pe)
	s.rc.afterPanic()
}

// end publishes the outcome of m (or of the message of the lane l at
// position at), once it has been counted: a call's caller gets err, and a
// one-way message that failed goes to the dead-letter handler.
func (rc *recipient) end(m Message, l laneQueue, at int, err error) {
	if l != nil {
		if err != nil {
			rc.rt.deadLetter(rc.key, l.takeOut(at), err)
		}
		return
	}
	h := m.hdr()
	switch h.mode {
	case modeInline:
		// Nobody else can reach a call that was never queued.
		m.finish(err)
	case modeAsync:
		h.state.Store(stDone)
		m.finish(err)
	case modeSync:
		if h.state.CompareAndSwap(stRunning, stDone) {
			m.finish(err)
		} else {
			// Its caller stopped waiting while it ran.
			recycle(h, m)
		}
	}
}

// call calls the method of m (or of the message of the lane l at position
// at) and returns the error it returned.
func (rc *recipient) call(ctx context.Context, m Message, l laneQueue, at int) error {
	if l != nil {
		l.runWith(ctx, rc.impl, at)
		return nil
	}
	m.Run(ctx, rc.impl)
	return m.outcome()
}

// invoke is call that turns a panic, even with a nil value under
// GODEBUG=panicnil=1, into a *PanicError; runtime.Goexit does not return
// here at all.
func (rc *recipient) invoke(ctx context.Context, m Message, l laneQueue, at int) (res result, err error) {
	returned := false
	defer func() {
		if !returned {
			res, err = resPanicked, rc.panicError(m.Method(), recover())
		}
	}()
	err = rc.call(ctx, m, l, at)
	returned = true
	return resHandled, err
}

func (rc *recipient) panicError(method string, v any) *PanicError {
	return &PanicError{Recipient: rc.rt.name, Key: rc.key, Method: method, Value: v, Stack: debug.Stack()}
}

// background is context.Background(), which sameIface compares without a
// call.
var background = context.Background()

// afterPanic stops a recipient registered WithStopOnPanic: what was queued
// behind the panic fails with ErrClosed.
func (rc *recipient) afterPanic() {
	if !rc.cfg.stopOnPanic {
		return
	}
	rc.reg.forget(rc)
	rc.beginStop()
	rc.abort(rc.closedErr())
}

// contextFor returns the context the recipient's method gets for a message
// sent with parent: parent, marked with the recipient for deadlock
// detection, and, for a one-way message (cancelable false), without
// parent's cancellation. Consecutive messages often share their parent, and
// then their context. It is called by whoever serves the recipient.
func (rc *recipient) contextFor(parent context.Context, cancelable bool) context.Context {
	if c := rc.lastCtx; c != nil && sameIface(parent, rc.lastParent) && cancelable == rc.lastCancelable {
		return c
	}
	return rc.newContextFor(parent, cancelable)
}

func (rc *recipient) newContextFor(parent context.Context, cancelable bool) context.Context {
	c := &rc.bgCtx
	if !sameIface(parent, background) {
		inner := parent
		if !cancelable {
			inner = context.WithoutCancel(parent)
		}
		c = &handlerCtx{Context: inner, n: &rc.node}
	}
	rc.lastParent, rc.lastCancelable, rc.lastCtx = parent, cancelable, c
	return c
}
