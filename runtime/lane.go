package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"
)

// OneWayMessage is implemented by the message type that generated code
// declares for a method without results: the call's arguments, by value, with
// the name of the method and a way to call it.
type OneWayMessage interface {
	// Method returns the name of the method the message runs.
	Method() string
	// Run calls the method on impl, the value the recipient was registered
	// with, passing ctx and the message's arguments.
	Run(ctx context.Context, impl any)
}

// Lane carries the messages of one method without results. Generated code
// declares one Lane per such method in the dispatcher; its zero value is
// ready to use.
type Lane[M OneWayMessage] struct {
	// idle keeps the lanes of recipients gone idle, buffers and all.
	idle sync.Pool
}

// lane is one recipient's queue of the messages of one method without
// results. The mailbox holds the lane itself, once per message, and the lane
// holds the messages, in the same order and by value, as a channel's buffer
// does: a message costs neither an allocation nor, when sender and recipient
// run on different threads, a cache line of its own to move between them.
// Senders append to in under the recipient's lock; its goroutine takes in as
// out with turn, under the same lock, and runs out in order.
type lane[M OneWayMessage] struct {
	header // mode is modeOneWay
	from   *Lane[M]
	in     []laneEntry[M]
	out    []laneEntry[M]
	next   int // the index in out of the message that runs next
}

type laneEntry[M any] struct {
	ctx context.Context
	msg M
}

// laneQueue is a lane, of whatever message type, as the recipient sees it.
type laneQueue interface {
	Message
	// peek returns the context of the message that runs next.
	peek() context.Context
	// pop ends the message that ran, and returns it, boxed, if keep is set.
	pop(keep bool) OneWayMessage
	// popQueued removes and returns the oldest message not yet taken.
	popQueued() OneWayMessage
	// turn takes the queued messages as the next ones to run, once those
	// taken before have all run.
	turn()
	// release gives the empty lane back to its Lane.
	release()
	// position returns how many messages have run since the last turn.
	position() int
	// runRun runs the next n messages, as handle would one by one, unless
	// failing is set. It returns how many ended, how many of those failed
	// without running, and whether the last one panicked, which ends the
	// run. A run costs one deferred recover, and each message no more than
	// its method call and the checks it needs.
	runRun(h laneHost, impl any, n int, failing *atomic.Bool) (ended, failed int, panicked bool)
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

// laneHost is the recipient, as runRun needs it.
type laneHost interface {
	contextFor(parent context.Context) context.Context
	panicError(method string, v any) *PanicError
	deadLetterOneWay(m OneWayMessage, err error)
	closedErr() error
}

// laneOf returns, with rc.mu held, rc's lane of the messages of from.
func laneOf[K comparable, M OneWayMessage](rc *recipient[K], from *Lane[M]) *lane[M] {
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

func (l *lane[M]) Method() string {
	var m M
	return m.Method()
}

func (l *lane[M]) Run(ctx context.Context, impl any) {
	l.out[l.next].msg.Run(ctx, impl)
}

func (*lane[M]) finish(error) {}

func (*lane[M]) outcome() error { return nil }

func (l *lane[M]) peek() context.Context { return l.out[l.next].ctx }

func (l *lane[M]) pop(keep bool) OneWayMessage {
	e := &l.out[l.next]
	var m OneWayMessage
	if keep {
		m = e.msg
	}
	*e = laneEntry[M]{}
	l.next++
	return m
}

func (l *lane[M]) popQueued() OneWayMessage {
	m := l.in[0].msg
	l.in[0] = laneEntry[M]{}
	l.in = l.in[1:]
	return m
}

func (l *lane[M]) turn() {
	l.in, l.out, l.next = l.out[:0], l.in, 0
}

func (l *lane[M]) position() int { return l.next }

func (l *lane[M]) runRun(h laneHost, impl any, n int, failing *atomic.Bool) (ended, failed int, panicked bool) {
	var (
		cur    *laneEntry[M] // the message running, if any
		parent context.Context
		hctx   context.Context
		canEnd bool
	)
	defer func() {
		if cur == nil {
			return
		}
		v := recover()
		if v == nil {
			// runtime.Goexit: the recipient's goroutine takes it from here.
			return
		}
		msg := cur.msg
		l.pop(false)
		ended++
		panicked = true
		h.deadLetterOneWay(msg, h.panicError(msg.Method(), v))
	}()
	for ended < n {
		e := &l.out[l.next]
		if !sameIface(e.ctx, parent) {
			parent = e.ctx
			hctx = h.contextFor(parent)
			canEnd = parent.Done() != nil
		}
		var err error
		switch {
		case failing.Load():
			err = h.closedErr()
		case canEnd && parent.Err() != nil:
			err = parent.Err()
		}
		if err != nil {
			h.deadLetterOneWay(l.pop(true), err)
			ended++
			failed++
			continue
		}
		cur = e
		e.msg.Run(hctx, impl)
		cur = nil
		*e = laneEntry[M]{}
		l.next++
		ended++
	}
	return ended, failed, false
}

func (l *lane[M]) release() {
	clear(l.in)
	clear(l.out)
	l.in, l.out, l.next = l.in[:0], l.out[:0], 0
	l.from.idle.Put(l)
}
