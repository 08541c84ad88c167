package runtime

import "fmt"

// This file is how messages from other processes enter a recipient's
// mailbox: at once when it has room, else first come first served, each
// waiting as long as its Inbound's Ctx allows.

// ServeCall runs m, a call that another process sent, whose arguments
// generated code has decoded from in, on the recipient of to, and ends in
// with its outcome. It does not wait for room in a full mailbox: that waits
// on a goroutine of its own, until in.Ctx ends.
func ServeCall[K comparable, T any](to Dest[K], m request[T], in *Inbound) {
	req := m.request()
	h := &req.header
	h.mode, h.remote = modeRemote, in
	h.ctx, h.enq = withChain(in.Ctx, in.Chain), to.r.cfg.enqueueTime()
	rc := to.rc
	rc.lockPoster()
	if rc.inboundRoom() {
		rc.commit(m, 0)
		return
	}
	serveCallLater(rc, m, in)
}

// serveCallLater is ServeCall, with rc.mu held, for a call that its
// recipient cannot take at once. It is a function of its own so that what
// a waiting call holds costs nothing when the call is queued at once.
func serveCallLater[T any](rc *recipient, m request[T], in *Inbound) {
	admitInbound(rc, in, &callWait[T]{rc, m})
}

// callWait is a call from another process waiting for room.
type callWait[T any] struct {
	rc *recipient
	m  request[T]
}

func (w *callWait[T]) queue() { w.rc.commit(w.m, 0) }

func (w *callWait[T]) fail(err error) {
	w.m.hdr().state.Store(stDone)
	w.m.finish(err)
}

// ServeSend queues msg, a one-way message that another process sent, for
// the recipient of to, in lane, and ends in once it is queued, or refused.
// It waits for room in a full mailbox on a goroutine of its own, until
// in.Ctx ends; a message still waiting then is refused with ErrMailboxFull.
func ServeSend[K comparable, M OneWayMessage](to Dest[K], lane *Lane[M], msg M, in *Inbound) {
	rc := to.rc
	rc.lockPoster()
	if rc.inboundRoom() {
		queueInbound(rc, lane, msg, in)
		return
	}
	serveSendLater(rc, lane, msg, in)
}

// queueInbound queues msg, with rc.mu held, and ends in. The message runs
// without in.Ctx's cancellation, as every one-way message does
// (contextFor). Queued with in.Ctx itself, which the transport shares
// among the messages of a burst, the messages share their recipient's
// context too: no allocation per message.
func queueInbound[M OneWayMessage](rc *recipient, lane *Lane[M], msg M, in *Inbound) {
	l := laneOf(rc, lane)
	rc.commit(l, l.push(in.Ctx, msg, rc.rt.enqueueTime()))
	in.Reply(nil, nil)
}

// serveSendLater is ServeSend, with rc.mu held, for a message that its
// recipient cannot take at once: see serveCallLater.
func serveSendLater[M OneWayMessage](rc *recipient, lane *Lane[M], msg M, in *Inbound) {
	admitInbound(rc, in, &sendWait[M]{rc, lane, msg, in})
}

// sendWait is a one-way message from another process waiting for room.
type sendWait[M OneWayMessage] struct {
	rc   *recipient
	lane *Lane[M]
	msg  M
	in   *Inbound
}

func (w *sendWait[M]) queue() { queueInbound(w.rc, w.lane, w.msg, w.in) }

func (w *sendWait[M]) fail(err error) { w.in.Reply(nil, err) }

// inboundRoom reports, with rc.mu held, whether an inbound message may be
// queued now: the recipient takes messages, none from another process waits
// before it, and its mailbox has room.
func (rc *recipient) inboundRoom() bool {
	return !rc.closing && rc.inbound == nil && rc.hasRoom()
}

// admitInbound takes, with rc.mu held on entry and released on return, an
// inbound message that inboundRoom has just refused, which w holds: it
// fails at once with the reason, or waits for room. Inbound messages are admitted in the order
// they arrive, as a sender in this process that waits for room keeps its
// messages' order: once one waits, those after it wait behind it, on one
// goroutine for the recipient, each as long as its in.Ctx allows; w.queue
// runs, with rc.mu held, once the message's turn has room, and w.fail
// otherwise.
func admitInbound(rc *recipient, in *Inbound, w waiter) {
	switch {
	case rc.closing:
		rc.mu.Unlock()
		w.fail(rc.closedErr())
	case rc.cfg.failFast:
		rc.rejected++
		rc.mu.Unlock()
		w.fail(rc.errors().full)
	case rc.inbound != nil:
		rc.inbound.waits = append(rc.inbound.waits, inboundWait{in, w})
		rc.mu.Unlock()
	default:
		rc.inbound = &inboundQueue{waits: []inboundWait{{in, w}}}
		rc.admitters++
		rc.mu.Unlock()
		go rc.admitWaiting()
	}
}

// inboundQueue holds the inbound messages of a recipient that wait for
// room, first come first.
type inboundQueue struct {
	waits []inboundWait
}

// inboundWait is one inbound message waiting for room: admitInbound's
// arguments.
type inboundWait struct {
	in *Inbound
	waiter
}

// waiter is what an inbound message waiting for room does once its turn
// comes: queue, with rc.mu held, when there is room, or fail.
type waiter interface {
	queue()
	fail(err error)
}

// admitWaiting admits the inbound messages that wait for room, in order,
// until none is left.
func (rc *recipient) admitWaiting() {
	defer rc.endAdmitting()
	for {
		rc.mu.Lock()
		w := rc.inbound.waits[0]
		rc.mu.Unlock()
		// Only the first waiting message's context is watched: one behind
		// it whose context ended while it waited is refused now, though
		// the mailbox may have room for it.
		err := w.in.Ctx.Err()
		if err == nil {
			_, err = rc.admit(w.in.Ctx, poster)
		}
		if err == nil {
			// admit holds rc.mu, which queue releases: no message arriving
			// meanwhile can find the mailbox's room before w.
			last := rc.popInbound()
			w.queue()
			if last {
				return
			}
			continue
		}
		full := w.in.Ctx.Err() != nil && err == w.in.Ctx.Err()
		if full {
			err = fmt.Errorf("%w: no room before the hosting node's bound: %w", rc.errors().full, err)
		}
		rc.mu.Lock()
		if full {
			rc.rejected++
		}
		last := rc.popInbound()
		rc.mu.Unlock()
		w.fail(err)
		if last {
			return
		}
	}
}

// endAdmitting counts an admitWaiting goroutine ended, once it has replied
// to its last message, and ends the stop that waited for it.
func (rc *recipient) endAdmitting() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.admitters--
	rc.endStop()
}

// popInbound removes, with rc.mu held, the first waiting inbound message,
// and reports whether it was the last.
func (rc *recipient) popInbound() bool {
	q := rc.inbound
	q.waits[0] = inboundWait{}
	q.waits = q.waits[1:]
	if len(q.waits) == 0 {
		rc.inbound = nil
		return true
	}
	return false
}
