package runtime

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Future is the result of an asynchronous call, available once the recipient
// has handled the call or the call has failed. It is resolved exactly once,
// and all its methods are safe to call from any goroutine.
type Future[T any] struct {
	resolved atomic.Bool
	// wg lets Await wait without allocating when its context cannot end.
	wg sync.WaitGroup
	mu sync.Mutex // guards wake and rest
	// wake is the channel of the Await waiting with a context that can
	// end, which publish signals; one is common.
	wake chan struct{}
	// rest is what few futures need, made when first needed, so that a
	// future is 32 bytes smaller and the message it lives in a size class
	// or two.
	rest *futureRest[T]
	val  T
	err  error
	// target is the recipient the call went to, for Await's deadlock check,
	// and req the call, which Await gives up if its context ends while it
	// is queued.
	target *recipient
	req    *Request[T]
}

// closedChan is the Done channel of a future that resolved before anyone
// asked for its channel.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Await waits until the future is resolved and returns its result, or until
// ctx ends and returns ctx's error; the call itself goes on, unless it is
// still queued when the call's own context has ended: then it fails at once. Awaited from a
// recipient's method with the context it was given, a future of a call to a
// recipient that waits for the caller fails at once with ErrDeadlock.
func (f *Future[T]) Await(ctx context.Context) (T, error) {
	if f.resolved.Load() {
		return f.val, f.err
	}
	var zero T
	if ctx == nil {
		return zero, ErrNilContext
	}
	if caller := callerNode(ctx); caller != nil && f.target != nil {
		if caller.beginWait(&f.target.node) != nil {
			return zero, f.target.errors().deadlock
		}
		defer caller.endWait(&f.target.node)
	}
	var callDone <-chan struct{}
	if f.req != nil {
		callDone = f.req.ctx.Done()
	}
	if ctx.Done() == nil && callDone == nil {
		f.wg.Wait()
		return f.val, f.err
	}
	w := f.addWaiter()
	if w == nil {
		return f.val, f.err
	}
	if callDone == ctx.Done() {
		// Awaited with the call's own context, as most futures are: the
		// case of ctx's end gives the call up too, and a select that skips
		// a nil channel costs less than one that waits on it twice.
		callDone = nil
	}
	for {
		select {
		case <-w:
			wakes.Put(w)
			return f.val, f.err
		case <-callDone:
			// The call's context ended: if the call is still queued, it
			// fails now, not when its turn comes; else its end is near.
			f.giveUp()
			callDone = nil
		case <-ctx.Done():
			f.giveUp()
			f.removeWaiter(w)
			wakes.Put(w)
			return zero, ctx.Err()
		}
	}
}

// futureRest is the part of a Future that few need: the channel Done
// returns, the functions OnResolve was given, and the channels of the
// Awaits past the first.
type futureRest[T any] struct {
	done chan struct{}
	then []func(T, error)
	more []chan struct{}
}

// restLocked returns, with f.mu held, f.rest, made if need be.
func (f *Future[T]) restLocked() *futureRest[T] {
	if f.rest == nil {
		f.rest = new(futureRest[T])
	}
	return f.rest
}

// wakes holds the channels that Awaits wait on, so that an Await with a
// context that can end allocates none.
var wakes = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// addWaiter returns a channel that publish signals, or nil if the future is
// resolved already.
func (f *Future[T]) addWaiter() chan struct{} {
	w := wakes.Get().(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.resolved.Load() {
		wakes.Put(w)
		return nil
	}
	if f.wake == nil {
		f.wake = w
	} else {
		r := f.restLocked()
		r.more = append(r.more, w)
	}
	return w
}

// removeWaiter takes w back, empty, from the future.
func (f *Future[T]) removeWaiter(w chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.wake == w:
		f.wake = nil
	case f.rest != nil && slices.Contains(f.rest.more, w):
		f.rest.more = slices.DeleteFunc(f.rest.more, func(c chan struct{}) bool { return c == w })
	default:
		// publish signaled it already.
		<-w
	}
}

// giveUp fails the call of f with its context's error if that context has
// ended while the call is still queued.
func (f *Future[T]) giveUp() {
	r := f.req
	if r == nil || r.ctx.Err() == nil {
		return
	}
	if r.state.CompareAndSwap(stQueued, stAbandoned) {
		r.finish(r.ctx.Err())
	}
}

// Done returns a channel that is closed when the future is resolved.
func (f *Future[T]) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.restLocked()
	if r.done == nil {
		if f.resolved.Load() {
			r.done = closedChan
		} else {
			r.done = make(chan struct{})
		}
	}
	return r.done
}

// Resolved reports whether the future has its result.
func (f *Future[T]) Resolved() bool { return f.resolved.Load() }

// OnResolve arranges for fn to be called with the future's result once it is
// resolved, on a goroutine of its own so that a slow fn holds up no
// recipient. Each fn is called once.
func (f *Future[T]) OnResolve(fn func(T, error)) {
	f.mu.Lock()
	if !f.resolved.Load() {
		r := f.restLocked()
		r.then = append(r.then, fn)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	go fn(f.val, f.err)
}

// begin readies a future whose call is being sent.
func (f *Future[T]) begin() { f.wg.Add(1) }

// publish makes the recorded result visible to waiters. The runtime calls it
// exactly once per future, often from the first stack of a goroutine started
// for the recipient, under the runtime's wake-up of the waiter: what only some
// futures need is in functions of their own, to keep publish's frame small.
func (f *Future[T]) publish() {
	f.mu.Lock()
	f.resolved.Store(true)
	if f.wake != nil {
		f.wake <- struct{}{}
		f.wake = nil
	}
	var then []func(T, error)
	if f.rest != nil {
		then = f.rest.resolve()
	}
	f.mu.Unlock()
	f.wg.Done()
	if then != nil {
		f.runThen(then)
	}
}

// resolve wakes, with the future's mu held, the waiters on Done and the
// Awaits past the first, and takes out the functions to call.
func (r *futureRest[T]) resolve() (then []func(T, error)) {
	if r.done != nil {
		close(r.done)
	}
	for _, w := range r.more {
		w <- struct{}{}
	}
	r.more = nil
	then, r.then = r.then, nil
	return then
}

// runThen starts the functions given to OnResolve.
func (f *Future[T]) runThen(then []func(T, error)) {
	for _, fn := range then {
		go fn(f.val, f.err)
	}
}
