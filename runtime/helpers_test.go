package runtime_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// patience bounds every wait in the tests: a guarantee that something does
// not hang is tested by failing when it takes this long.
const patience = 10 * time.Second

// await runs f and fails the test if it has not returned within patience.
func await(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("%s: still waiting after %v", what, patience)
	}
}

// newDispatcher returns a dispatcher that is closed, and must drain, when
// the test ends; cleanups registered later (such as opening gates) run first.
func newDispatcher(t *testing.T, opts ...runtime.Option) *WorkerDispatcher {
	t.Helper()
	d := NewWorkerDispatcher(opts...)
	t.Cleanup(func() { closeDispatcher(t, d) })
	return d
}

// closeDispatcher closes d with a bounded context and fails the test if it
// could not drain.
func closeDispatcher(t *testing.T, d *WorkerDispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// gate blocks a recipient's method until it is opened, and tells the test
// when the method has started.
type gate struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}, 1000), open: make(chan struct{})}
}

// wait is called by the recipient's method.
func (g *gate) wait() {
	g.entered <- struct{}{}
	<-g.open
}

// release lets every waiting and future method through.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// Job sequence numbers that make a gated worker's Do wait or panic.
const (
	seqWait  = -1
	seqPanic = -2
)

// gatedWorker returns a worker whose Do waits at the returned gate for a job
// with Seq seqWait and panics for seqPanic.
func gatedWorker(name string) (*testWorker, *gate) {
	w := newTestWorker(name)
	g := newGate()
	w.do = func(_ context.Context, job Job) error {
		switch job.Seq {
		case seqWait:
			g.wait()
		case seqPanic:
			panic("gated worker told to panic")
		}
		return nil
	}
	return w, g
}

// hold makes the recipient under key busy at its gate, and returns the
// future of the held call once it has started.
func hold(t *testing.T, d *WorkerDispatcher, key string, g *gate) *runtime.Future[Reply] {
	t.Helper()
	f := d.To(key).DoAsync(context.Background(), Job{From: "holder", Seq: seqWait})
	select {
	case <-g.entered:
	case <-time.After(patience):
		t.Fatal("held call never started")
	}
	t.Cleanup(g.release)
	return f
}

// registerHeld registers a gated worker under key and holds it busy.
func registerHeld(t *testing.T, d *WorkerDispatcher, key string, opts ...runtime.RecipientOption) (*testWorker, *gate) {
	t.Helper()
	w, g := gatedWorker(key)
	if err := d.Register(key, w, opts...); err != nil {
		t.Fatal(err)
	}
	hold(t, d, key, g)
	return w, g
}
