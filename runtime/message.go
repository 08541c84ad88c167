package runtime

import (
	"context"
	"sync"
	"sync/atomic"
)

// Message is one message in a recipient's mailbox. Generated code declares a
// type for each method with results of the recipient interface that embeds
// Request[T] and adds Method and Run. Only types that embed Request, and the
// queues of messages of methods without results (see Lane), implement
// Message.
type Message interface {
	// Method returns the name of the method the message runs.
	Method() string
	// Run calls the method on impl, the value the recipient was registered
	// with, passing ctx and the message's arguments. A Request records what
	// the method returned with Resolve.
	Run(ctx context.Context, impl any)

	hdr() *header
	// finish publishes the message's outcome: its recorded result with err
	// as the error. It is called exactly once per send.
	finish(err error)
	// outcome is the error the method returned, as Run recorded it.
	outcome() error
}

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
	// stop unregisters the context.AfterFunc that fails an asynchronous call
	// whose context ends while it is queued.
	stop func() bool
}

func (h *header) hdr() *header { return h }

// Request is embedded by the generated message type of a method with results.
// T is the method's result, or a generated struct of its results when there
// are several, or struct{} when the only result is an error.
type Request[T any] struct {
	header
	fut Future[T]
}

// Resolve records what the method returned. Generated Run methods call it
// with the method's results.
func (r *Request[T]) Resolve(v T, err error) {
	r.fut.val, r.fut.err = v, err
}

func (r *Request[T]) request() *Request[T] { return r }

func (r *Request[T]) outcome() error { return r.fut.err }

func (r *Request[T]) finish(err error) {
	r.fut.err = err
	switch r.mode {
	case modeSync:
		r.reply <- struct{}{}
	case modeAsync:
		r.fut.publish()
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

// recycler takes a message, whose header is h, back into its pool.
type recycler interface {
	put(m any, h *header)
}

// Pool keeps the messages of one method with results for reuse, so that
// synchronous calls allocate nothing once warm. Generated code declares one
// Pool per method with results in the dispatcher; its zero value is ready to
// use.
// M must embed Request.
type Pool[M any] struct {
	p sync.Pool
}

// Get returns a zeroed message, new or reused.
func (p *Pool[M]) Get() *M {
	if m, ok := p.p.Get().(*M); ok {
		return m
	}
	m := new(M)
	headerOf(m).pool = p
	return m
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
