package runtime

import (
	"context"
	"sync/atomic"
)

// request is what Call and Async accept: a Message that carries a result.
type request[T any] interface {
	Message
	request() *Request[T]
}

// The states of a message. A message moves from queued to running when a
// recipient takes it, and to done when its outcome is published; a caller that
// stops waiting moves it to abandoned instead, and whoever finds it abandoned
// afterwards owns it.
const (
	stQueued uint32 = iota
	stRunning
	stDone
	stAbandoned
)

// The ways a message is sent. A message of a method without results is
// queued as its lane, whose mode is modeOneWay.
const (
	modeSync uint8 = iota
	modeAsync
	modeOneWay
	// modeInline is a synchronous call that its caller runs itself, and
	// which therefore has nobody to wake.
	modeInline
	// modeRemote is a call that another process sent: its outcome goes
	// back through the transport.
	modeRemote
)

// header is the bookkeeping every message carries.
type header struct {
	ctx   context.Context
	state atomic.Uint32
	mode  uint8
	// reply carries the end of a synchronous call to its waiting caller. It
	// is made once per pooled message and kept across uses.
	reply chan struct{}
	// pool takes the message back once nobody refers to it; nil for messages
	// that are not pooled.
	pool recycler
	// remote is the call that another process sent, which this message
	// runs (modeRemote).
	remote *Inbound
	// enq is when the message was accepted, for interceptors: see
	// enqueueTime.
	enq int64
}

func (h *header) hdr() *header { return h }

func (r *Request[T]) request() *Request[T] { return r }

func (r *Request[T]) outcome() error { return r.fut.err }

func (r *Request[T]) finish(err error) {
	r.fut.err = err
	switch r.mode {
	case modeSync:
		r.reply <- struct{}{}
	case modeAsync:
		r.fut.publish()
	case modeRemote:
		if err != nil {
			r.remote.Reply(nil, err)
		} else {
			r.remote.Reply(resultPtr(&r.fut.val), nil)
		}
	}
}

// Request gives the generated types that embed it the unexported half of
// Message, which no type of this package implements; this assertion keeps it
// doing so.
var _ interface {
	hdr() *header
	request() *Request[struct{}]
	finish(error)
	outcome() error
} = (*Request[struct{}])(nil)

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

// recycler takes a message, whose header is h, back into its pool.
type recycler interface {
	put(m any, h *header)
}

func (p *Pool[M]) put(x any, h *header) {
	m := x.(*M)
	reply, pool := h.reply, h.pool
	var zero M
	*m = zero
	h.reply, h.pool = reply, pool
	p.p.Put(m)
}

func headerOf(m any) *header {
	return m.(interface{ hdr() *header }).hdr()
}

// recycle gives m, whose header is h, back to its pool, if it came from one.
// It and abandon are functions, not methods of header, because every method
// of header is promoted into each generated message type: a wrapper per
// method and type for the compiler to build.
func recycle(h *header, m any) {
	if h.pool != nil {
		h.pool.put(m, h)
	}
}
