package runtime_test

// Flush waits for what was sent: it returns once every message accepted for
// a key before the call has ended, however it ended, or once its context
// ends.

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// flushInBackground calls Flush for key with ctx, and returns the channel
// its error comes on.
func flushInBackground(ctx context.Context, d *WorkerDispatcher, key string) <-chan error {
	flushed := make(chan error, 1)
	go func() { flushed <- d.Flush(ctx, key) }()
	return flushed
}

// notYet fails the test if ch delivers within a little while: what is
// waited for cannot have happened yet.
func notYet(t *testing.T, what string, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s returned %v before what it waits for had ended", what, err)
	case <-time.After(20 * time.Millisecond):
	}
}

// Flush returns nil once every message accepted before it ended: handled,
// failed with the method's error, panicked, canceled while queued, or
// dead-lettered; and what those messages did is visible to its caller.
func TestFlushWaitsForEveryAcceptedMessage(t *testing.T) {
	for _, p := range oneWayPaths {
		t.Run(p.name, func(t *testing.T) {
			var dead atomic.Int32
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(func(runtime.DeadLetter) { dead.Add(1) }))...)
			w, g := gatedWorker("w")
			w.tell = func(_ context.Context, note string) {
				if note == notePanic {
					panic("one-way message told to panic")
				}
			}
			if err := d.Register("w", w, p.recOpts...); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			hold(t, d, "w", g)
			var futures []*runtime.Future[Reply]
			for i := range 3 {
				futures = append(futures, d.To("w").DoAsync(ctx, Job{Seq: i}))
				d.To("w").Tell(ctx, fmt.Sprint("n", i))
			}
			futures = append(futures, d.To("w").DoAsync(ctx, Job{Seq: seqPanic}))
			d.To("w").Tell(ctx, notePanic)
			canceledCtx, cancel := context.WithCancel(ctx)
			canceled := d.To("w").DoAsync(canceledCtx, Job{Seq: 10})
			cancel()

			flushed := flushInBackground(ctx, d, "w")
			notYet(t, "Flush", flushed)
			g.release()
			await(t, "Flush", func() {
				if err := <-flushed; err != nil {
					t.Errorf("Flush: %v", err)
				}
			})
			// Flush returned: everything before it has ended, and the
			// recipient's writes are visible here without a race.
			for i, f := range futures {
				if !f.Resolved() {
					t.Errorf("call %d not resolved when Flush returned", i)
				}
			}
			if !canceled.Resolved() {
				t.Error("the canceled call not resolved when Flush returned")
			}
			if len(w.notes) != 3 || w.seen != 1+3+3 {
				t.Errorf("when Flush returned the worker had seen %d messages, notes %q; want 7, 3 notes", w.seen, w.notes)
			}
			if n := dead.Load(); n != 1 {
				t.Errorf("%d dead letters when Flush returned, want 1, the panic", n)
			}
			if s := d.Stats()["w"]; s.Queued != 0 {
				t.Errorf("Stats = %+v when Flush returned, want nothing queued", s)
			}
		})
	}
}

// Flush waits for a call running on its caller's goroutine too.
func TestFlushWaitsForInlineCall(t *testing.T) {
	d := newDispatcher(t)
	w, g := gatedWorker("w")
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	inline := holdInline(t, d, g, Job{Seq: seqWait})
	flushed := flushInBackground(context.Background(), d, "w")
	notYet(t, "Flush", flushed)
	g.release()
	await(t, "Flush", func() {
		if err := <-flushed; err != nil {
			t.Errorf("Flush: %v", err)
		}
	})
	select {
	case err := <-inline:
		if err != nil {
			t.Errorf("inline call: %v", err)
		}
	case <-time.After(promptly):
		t.Error("the inline call had not returned when Flush did")
	}
}

// Flush does not wait for messages sent after it was called, so that a
// stream of them cannot hold it for ever.
func TestFlushIgnoresLaterMessages(t *testing.T) {
	d := newDispatcher(t)
	w := newTestWorker("w")
	first, later := newGate(), newGate()
	t.Cleanup(first.release)
	t.Cleanup(later.release)
	w.do = func(_ context.Context, job Job) error {
		switch job.Seq {
		case 1:
			first.wait()
		case 2:
			later.wait()
		}
		return nil
	}
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sent := d.To("w").DoAsync(ctx, Job{Seq: 1})
	await(t, "the first call to start", func() { <-first.entered })
	flushed := flushInBackground(ctx, d, "w")
	notYet(t, "Flush", flushed)
	after := d.To("w").DoAsync(ctx, Job{Seq: 2})
	first.release()
	await(t, "the later call to start", func() { <-later.entered })
	await(t, "Flush", func() {
		if err := <-flushed; err != nil {
			t.Errorf("Flush: %v", err)
		}
	})
	if !sent.Resolved() {
		t.Error("the call sent before Flush not resolved when it returned")
	}
	if after.Resolved() {
		t.Error("the later call resolved while its method was still blocked")
	}
}

// Flush fails with its context's error when the context ends first, and
// with ErrNoRecipient or ErrClosed when there is nothing to wait for.
func TestFlushFails(t *testing.T) {
	d := NewWorkerDispatcher()
	_, g := registerHeld(t, d, "w")
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := d.Flush(short, "w"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush of a held recipient: err = %v, want context.DeadlineExceeded", err)
	}
	g.release()
	if err := d.Flush(context.Background(), "nobody"); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("Flush of an unknown key: err = %v, want ErrNoRecipient", err)
	}
	var nilCtx context.Context // the bad input, as in TestBadInput
	if err := d.Flush(nilCtx, "w"); !errors.Is(err, runtime.ErrNilContext) {
		t.Errorf("Flush with a nil context: err = %v, want ErrNilContext", err)
	}
	closeDispatcher(t, d)
	if err := d.Flush(context.Background(), "w"); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Flush after Close: err = %v, want ErrClosed", err)
	}
}

// A Flush that the stop after a panic ends returns once the messages that
// the stop failed have their outcome: each call resolved with ErrClosed,
// each one-way message given to the dead-letter handler.
func TestFlushEndedByAbortSeesTheOutcomes(t *testing.T) {
	for range 30 {
		var dead atomic.Int32
		d := newDispatcher(t, runtime.WithDeadLetterHandler(func(runtime.DeadLetter) { dead.Add(1) }))
		w, g := gatedWorker("w")
		if err := d.Register("w", w, runtime.WithStopOnPanic()); err != nil {
			t.Fatal(err)
		}
		bg := context.Background()
		hold(t, d, "w", g)
		panicked := d.To("w").DoAsync(bg, Job{Seq: seqPanic})
		var queued []*runtime.Future[Reply]
		for i := range 4 {
			queued = append(queued, d.To("w").DoAsync(bg, Job{Seq: i}))
			d.To("w").Tell(bg, fmt.Sprint("n", i))
		}
		flushed := flushInBackground(bg, d, "w")
		notYet(t, "Flush", flushed)
		g.release()
		if err := <-flushed; err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if !panicked.Resolved() {
			t.Fatal("the call that panicked is not resolved when Flush returned")
		}
		for i, f := range queued {
			if !f.Resolved() {
				t.Fatalf("call %d failed by the stop is not resolved when Flush returned", i)
			}
		}
		if n := dead.Load(); n != 4 {
			t.Fatalf("%d dead letters when Flush returned, want the 4 one-way messages the stop failed", n)
		}
	}
}

// A Flush called once Stats counts a call as ended, but perhaps before the
// call's result is out, returns only after it is: the fuzz model found
// Flush returning in between.
func TestFlushAfterCountWaitsForResult(t *testing.T) {
	d := newDispatcher(t)
	if err := d.Register("w", newTestWorker("w")); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	for i := range 20000 {
		f := d.To("w").DoAsync(bg, Job{Seq: i})
		for d.Stats()["w"].Handled < uint64(i+1) {
			goruntime.Gosched()
		}
		if err := d.Flush(bg, "w"); err != nil {
			t.Fatal(err)
		}
		if !f.Resolved() {
			t.Fatalf("call %d: Flush returned before the call's result was out", i)
		}
	}
}
