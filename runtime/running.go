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
// has taken the rest (aborted) or when a method panicked: s.running is then
// set, and the caller ends the message with endRunning. If a method calls
// runtime.Goexit instead, handleRun does not return, and the server ends the
// message the same way. The deferred recover is a method of s, and what it
// needs is in s, so that handleRun's frame stays small: a goroutine started
// for a recipient that goes no deeper than its first stack is spared a copy.
//
// The rule it applies, in its switch: a message runs unless abort is
// failing what is left or, for a call, unless its caller's context has
// ended; a one-way message, once sent, is not taken back.
func (s *server) handleRun(m Message, l laneQueue, at, n int, claim bool) (done int, aborted bool) {
	rc := s.rc
	s.cur, s.curLane = m, l
	defer s.catch()
	intercepted := len(rc.rt.interceptors) > 0
	for ; done < n; done++ {
		if s.t.n() > 0 && (l == nil || rc.flushing.Load()) {
			// A call may take long, and a Flush waits: what ended before
			// must not wait to be counted. Before the claim, since a flush
			// says every message claimed has ended.
			rc.flush(&s.t)
		}
		if claim {
			// claim, by hand: the compiler would not inline it.
			c := rc.claimed.Add(1)
			if c&claimedAborted != 0 {
				return done, true
			}
			if c >= rc.wakeAt.Load() {
				rc.wakeSendersLocked()
			}
		}
		i := at + done
		var parent context.Context
		if l == nil {
			if parent = startCall(m.hdr()); parent == nil {
				// Its caller gave up on it while it was queued, and left it
				// to us. It has ended, and is counted now, as a call that
				// ran is: the next message may be a one-way one, which
				// flushes nothing before it, and its method may not return.
				s.t.count(resFailed)
				rc.flush(&s.t)
				recycle(m.hdr(), m)
				continue
			}
		}
		var err error
		res := resFailed
		switch {
		case rc.failing.Load():
			err = rc.closedErr()
		case l == nil && !sameIface(parent, background) && parent.Err() != nil:
			err = parent.Err()
		case intercepted:
			s.curAt, s.running = i, true
			res, err = s.intercept(parent, i)
			s.running = false
		case l != nil:
			// The lane makes the context of its message.
			s.curAt, s.running = i, true
			l.runAt(rc, i)
			s.running = false
			res = resHandled
		default:
			s.curAt, s.running = i, true
			m.Run(rc.contextFor(parent, true), rc.impl)
			s.running = false
			err, res = m.outcome(), resHandled
		}
		s.t.count(res)
		switch {
		case l == nil:
			s.endCall(m, err)
		case err != nil:
			rc.end(m, l, i, err)
		}
		if res == resPanicked {
			rc.afterPanic()
		}
		rc.flushSome(&s.t)
	}
	return done, false
}

// intercept runs the message of s.cur (or of s.curLane at position at),
// sent with parent, through the interceptors.
func (s *server) intercept(parent context.Context, at int) (result, error) {
	rc, l := s.rc, s.curLane
	if l != nil {
		parent = l.ctxAt(at)
	}
	return rc.intercept(rc.contextFor(parent, l == nil), s.cur, l, at)
}

// catch is handleRun's deferred recover: it records the panic of the method
// that was running, if one was, for endRunning. Under runtime.Goexit it
// records a nil value, which endRunning does not use.
func (s *server) catch() {
	if s.running {
		s.pe = s.rc.panicError(s.cur.Method(), recover())
	}
}

// startCall takes a queued call, whose header is h, from its caller, and
// returns its context, or nil if the caller has given up on it.
func startCall(h *header) context.Context {
	if !h.state.CompareAndSwap(stQueued, stRunning) {
		return nil
	}
	return h.ctx
}

// endRunning ends the message whose method was running when it panicked
// with s.pe, or, with goexit set, called runtime.Goexit.
func (s *server) endRunning(goexit bool) {
	pe := s.pe
	if goexit {
		pe = s.rc.panicError(s.cur.Method(), ErrGoexit)
	}
	m, l, at := s.cur, s.curLane, s.curAt
	s.running, s.pe = false, nil
	s.t.count(resPanicked)
	if l == nil {
		s.endCall(m, pe)
	} else {
		s.rc.end(m, l, at, pe)
	}
	s.rc.afterPanic()
}

// endCall publishes the outcome of the call m that the server ran, after
// the counters count it and every message it ended before, and before the
// Flush calls waiting for it return.
func (s *server) endCall(m Message, err error) {
	n := s.rc.publish(&s.t)
	endCall(m, err)
	s.rc.outcomesOut(n)
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
	endCall(m, err)
}

// endCall publishes the outcome of the call m. Its frame is small, since a
// goroutine that publishes is often new, and the runtime's wake-up of the
// caller needs room on its stack.
func endCall(m Message, err error) {
	h := m.hdr()
	switch h.mode {
	case modeInline:
		// Nobody else can reach a call that was never queued.
		m.finish(err)
	case modeAsync, modeRemote:
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
	if sameIface(parent, rc.lastParent) && cancelable == rc.lastCancelable {
		return rc.lastCtx
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
