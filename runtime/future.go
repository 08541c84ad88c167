package runtime

import (
	"context"
	"sync"
	"sync/atomic"
)

// Future is the result of an asynchronous call, available once the recipient
// has handled the call or the call has failed. It is resolved exactly once,
// and all its methods are safe to call from any goroutine.
type Future[T any] struct {
	resolved atomic.Bool
	// wg lets Await wait without allocating when its context cannot end.
	wg   sync.WaitGroup
	mu   sync.Mutex // guards done and then
	done chan struct{}
	then []func(T, error)
	val  T
	err  error
	// target is the recipient the call went to, for Await's deadlock check.
	target *recipient
}

// closedChan is the Done channel of a future that resolved before anyone
// asked for its channel.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Await waits until the future is resolved and returns its result, or until
// ctx ends and returns ctx's error; the call itself goes on. Awaited from a
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
	if ctx.Done() == nil {
		f.wg.Wait()
		return f.val, f.err
	}
	select {
	case <-f.Done():
		return f.val, f.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Done returns a channel that is closed when the future is resolved.
func (f *Future[T]) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		if f.resolved.Load() {
			f.done = closedChan
		} else {
			f.done = make(chan struct{})
		}
	}
	return f.done
}

// Resolved reports whether the future has its result.
func (f *Future[T]) Resolved() bool { return f.resolved.Load() }

// OnResolve arranges for fn to be called with the future's result once it is
// resolved, on a goroutine of its own so that a slow fn holds up no
// recipient. Each fn is called once.
func (f *Future[T]) OnResolve(fn func(T, error)) {
	f.mu.Lock()
	if !f.resolved.Load() {
		f.then = append(f.then, fn)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	go fn(f.val, f.err)
}

// begin readies a future whose call is being sent.
func (f *Future[T]) begin() { f.wg.Add(1) }

// publish makes the recorded result visible to waiters. The runtime calls it
// exactly once per future.
func (f *Future[T]) publish() {
	f.mu.Lock()
	f.resolved.Store(true)
	if f.done != nil {
		close(f.done)
	}
	then := f.then
	f.then = nil
	f.mu.Unlock()
	f.wg.Done()
	for _, fn := range then {
		go fn(f.val, f.err)
	}
}
