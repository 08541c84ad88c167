package runtime

import (
	"context"
	"unsafe"
)

// lane is one recipient's queue of the messages of one method without
// results. The mailbox holds the lane itself, with the position of each
// message in it, and the lane holds the messages, in the same order and by
// value, as a channel's buffer does: a message costs neither an allocation
// nor, when sender and recipient run on different threads, a cache line of
// its own to move between them. Senders append to in under the recipient's
// lock; when the server takes a batch, in becomes out, and the server runs
// out's messages at the positions the batch gives.
type lane[M OneWayMessage] struct {
	header // mode is modeOneWay
	from   *Lane[M]
	in     []laneEntry[M]
	// in and out are on cache lines of their own: senders append to in at
	// every message, and the server reads out at every message.
	_   [cacheLine]byte
	out []laneEntry[M]
}

type laneEntry[M any] struct {
	ctx context.Context
	msg M
	enq int64 // see enqueueTime
}

// laneQueue is a lane, of whatever message type, as the recipient sees it.
// Positions are those of the mailbox's slots: in in for the messages still
// queued, in out for those of the server's batch.
type laneQueue interface {
	Message
	// ctxAt returns the context the message at out[at] was sent with, and
	// enqAt when it was accepted.
	ctxAt(at int) context.Context
	enqAt(at int) int64
	// runAt runs the message at out[at] on rc, with the context rc makes
	// for it, and removes it once its method has returned.
	runAt(rc *recipient, at int)
	// runWith runs the message at out[at] with ctx, and leaves it there:
	// an interceptor may still fail it once its method has returned.
	runWith(ctx context.Context, impl any, at int)
	// takeOut removes and returns, boxed, the message at out[at].
	takeOut(at int) OneWayMessage
	// takeIn removes and returns, boxed, the queued message at in[at].
	takeIn(at int) OneWayMessage
	// turn makes the queued messages the batch's, once the batch before has
	// ended.
	turn()
	// release gives the empty lane back to its Lane.
	release()
}

// sameIface reports whether a and b, of an interface type I, are the same
// interface value, word for word. Unlike ==, it calls nothing for dynamic
// types that are not pointers, such as that of context.Background(), which
// most messages of a run share. It may say false for equal values: its
// callers then only do again what the answer would have saved them.
func sameIface[I any](a, b I) bool {
	x, y := (*[2]unsafe.Pointer)(unsafe.Pointer(&a)), (*[2]unsafe.Pointer)(unsafe.Pointer(&b))
	return x[0] == y[0] && x[1] == y[1]
}

// laneOf returns, with rc.mu held, rc's lane of the messages of from.
func laneOf[M OneWayMessage](rc *recipient, from *Lane[M]) *lane[M] {
	// A stream of one-way messages is most often of one method.
	if rc.lastFrom == unsafe.Pointer(from) {
		return (*lane[M])(rc.lastLane)
	}
	l := findLane(rc, from)
	rc.lastFrom, rc.lastLane = unsafe.Pointer(from), unsafe.Pointer(l)
	return l
}

// findLane is laneOf without its cache.
func findLane[M OneWayMessage](rc *recipient, from *Lane[M]) *lane[M] {
	for _, q := range rc.lanes {
		if l, ok := q.(*lane[M]); ok && l.from == from {
			return l
		}
	}
	l, _ := from.idle.Get().(*lane[M])
	if l == nil {
		l = &lane[M]{from: from}
		l.mode = modeOneWay
	}
	rc.lanes = append(rc.lanes, l)
	return l
}

// push appends msg, sent with ctx and accepted at enq, with rc.mu held, and
// returns its position.
func (l *lane[M]) push(ctx context.Context, msg M, enq int64) int {
	l.in = append(l.in, laneEntry[M]{ctx: ctx, msg: msg, enq: enq})
	return len(l.in) - 1
}

func (l *lane[M]) Method() string {
	var m M
	return m.Method()
}

// Run is never called: a lane's messages run with runAt.
func (l *lane[M]) Run(context.Context, any) { panic("dispatch: lane run without a position") }

func (*lane[M]) finish(error) {}

func (*lane[M]) outcome() error { return nil }

func (l *lane[M]) ctxAt(at int) context.Context { return l.out[at].ctx }

func (l *lane[M]) enqAt(at int) int64 { return l.out[at].enq }

func (l *lane[M]) runAt(rc *recipient, at int) {
	e := &l.out[at]
	// contextFor, by hand: the compiler would not inline it.
	ctx := context.Context(rc.lastCtx)
	if !sameIface(e.ctx, rc.lastParent) || rc.lastCancelable {
		ctx = rc.newContextFor(e.ctx, false)
	}
	e.msg.Run(ctx, rc.impl)
	*e = laneEntry[M]{}
}

func (l *lane[M]) runWith(ctx context.Context, impl any, at int) {
	l.out[at].msg.Run(ctx, impl)
}

func (l *lane[M]) takeOut(at int) OneWayMessage {
	e := &l.out[at]
	m := OneWayMessage(e.msg)
	*e = laneEntry[M]{}
	return m
}

func (l *lane[M]) takeIn(at int) OneWayMessage {
	e := &l.in[at]
	m := OneWayMessage(e.msg)
	*e = laneEntry[M]{}
	return m
}

func (l *lane[M]) turn() {
	clear(l.out)
	l.in, l.out = l.out[:0], l.in
}

func (l *lane[M]) release() {
	clear(l.in)
	clear(l.out)
	l.in, l.out = l.in[:0], l.out[:0]
	l.from.idle.Put(l)
}
