package runtime

import "context"

// Call sends m to the recipient registered under to's key and waits for its
// result. When the recipient is idle and ctx cannot end (its Done channel is
// nil), the call runs on the caller's goroutine, which saves two goroutine
// switches; that goroutine is then the only one serving the recipient.
//
// The call fails with ErrNilContext, ErrNoRecipient, ErrClosed or
// ErrMailboxFull when it cannot be delivered, with ErrDeadlock when the
// recipient is waiting for the caller, with ctx's error when ctx ends first,
// and with a *PanicError when the method panics. m must come from a Pool; Call
// gives it back.
func Call[K comparable, T any](ctx context.Context, to Dest[K], m request[T]) (T, error) {
	req := m.request()
	h := &req.header
	if ctx == nil {
		return reject(m, ErrNilContext)
	}
	rc, err := to.recipient()
	if err != nil {
		return reject(m, err)
	}
	if caller := callerNode(ctx); caller != nil {
		if caller.beginWait(&rc.node) != nil {
			return reject(m, rc.errors().deadlock)
		}
		defer caller.endWait(&rc.node)
	}
	h.ctx = ctx
	if h.reply == nil {
		h.reply = make(chan struct{}, 1)
	}
	// Only a caller that cannot stop waiting runs the call itself: one whose
	// context can end must be free to return when it does, even from a
	// method that ignores its context.
	claimed, err := rc.admit(ctx, ctx.Done() == nil)
	if err != nil {
		return reject(m, err)
	}
	if claimed {
		h.mode = modeInline
		rc.runInline(m)
	} else {
		h.mode = modeSync
		rc.commit(m, 0)
		select {
		case <-h.reply:
		case <-ctx.Done():
			if abandon(h) {
				var zero T
				return zero, ctx.Err()
			}
			<-h.reply
		}
	}
	v, err := req.fut.val, req.fut.err
	recycle(h, m)
	return v, err
}

// reject ends a call that was never queued.
func reject[T any](m request[T], err error) (T, error) {
	var zero T
	recycle(m.hdr(), m)
	return zero, err
}

// abandon marks a queued or running synchronous call as given up by its
// caller, and reports false if the call has ended already.
func abandon(h *header) bool {
	for {
		s := h.state.Load()
		if s == stDone {
			return false
		}
		if h.state.CompareAndSwap(s, stAbandoned) {
			return true
		}
	}
}

// runInline handles m on its caller's goroutine, which admit has made the
// recipient's server, and then gives the recipient back. If m's method calls
// runtime.Goexit, the caller's goroutine ends, and the recipient goes on.
func (rc *recipient) runInline(m Message) {
	s := server{rc: rc}
	defer func() {
		if !s.left {
			s.endGoexit()
			rc.releaseInline()
		}
	}()
	if _, _, pe := s.handleRun(m, nil, 0, 1, false); pe != nil {
		s.endPanicked(m, nil, 0, pe)
	}
	s.left = true
	rc.releaseInline()
}

// Async sends m to the recipient registered under to's key and returns at
// once a Future of its result. The call fails as Call's does; if ctx ends while it is
// queued, it is not run and its Future fails with ctx's error at once. m must
// be newly allocated, not taken from a Pool: the Future lives in it.
func Async[K comparable, T any](ctx context.Context, to Dest[K], m request[T]) *Future[T] {
	req := m.request()
	h, f := &req.header, &req.fut
	f.begin()
	h.mode = modeAsync
	if ctx == nil {
		h.state.Store(stDone)
		m.finish(ErrNilContext)
		return f
	}
	rc, err := to.recipient()
	if err != nil {
		h.state.Store(stDone)
		m.finish(err)
		return f
	}
	f.target = &rc.node
	h.ctx = ctx
	if ctx.Done() != nil {
		h.stop = context.AfterFunc(ctx, func() {
			if h.state.CompareAndSwap(stQueued, stAbandoned) {
				m.finish(ctx.Err())
			}
		})
	}
	if _, err := rc.admit(ctx, false); err != nil {
		if h.state.CompareAndSwap(stQueued, stDone) {
			if h.stop != nil {
				h.stop()
			}
			m.finish(err)
		}
		return f
	}
	rc.commit(m, 0)
	return f
}

// Send delivers msg, a message of a method without results, to the recipient
// registered under to's key without waiting for it to be handled. ctx bounds
// only the wait for room in a full mailbox, as the recipient's options say:
// once Send has returned, the message runs, with ctx's values but not its
// cancellation, as a value sent on a channel is not taken back. A message
// sent with a ctx that has ended already is not accepted. A message that is
// not accepted, or whose method panics, goes to the dead-letter handler. The
// message travels in the recipient's queue of lane's messages.
func Send[K comparable, M OneWayMessage](ctx context.Context, to Dest[K], lane *Lane[M], msg M) {
	if ctx == nil {
		to.r.cfg.deadLetter(to.key, msg, ErrNilContext)
		return
	}
	rc, err := to.recipient()
	if err != nil {
		to.r.cfg.deadLetter(to.key, msg, err)
		return
	}
	if err := ctx.Err(); err != nil {
		to.r.cfg.deadLetter(rc.key, msg, err)
		return
	}
	if _, err := rc.admit(ctx, false); err != nil {
		to.r.cfg.deadLetter(rc.key, msg, err)
		return
	}
	l := laneOf(rc, lane)
	rc.commit(l, l.push(ctx, msg))
}

// Dest is where a generated Ref sends: a key of a Router, with the
// recipient registered under it when the Dest was made. Each send checks
// that this recipient is still the one registered, which costs an atomic
// load, and looks the key up again only when it is not, so that a Ref kept
// and reused skips the Router's lock. A Dest is a small value, safe to copy
// and to use from many goroutines.
type Dest[K comparable] struct {
	r   *Router[K]
	key K
	rc  *recipient
}

// Dest returns the destination of calls to key.
func (r *Router[K]) Dest(key K) Dest[K] {
	rc, _ := r.lookup(key)
	return Dest[K]{r: r, key: key, rc: rc}
}

// recipient returns the recipient registered under d's key now.
func (d Dest[K]) recipient() (*recipient, error) {
	if rc := d.rc; rc != nil && !rc.gone.Load() {
		return rc, nil
	}
	return d.r.lookup(d.key)
}
