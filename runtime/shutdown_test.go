package runtime_test

// Close and Unregister on the paths the other tests of guarantee 8 do not
// take: a call running on its caller's goroutine while the recipient's
// dedicated goroutine is parked, and a method stuck past the stop's deadline
// with messages taken behind it.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// stopper is Close or Unregister of the recipient under "w", as a test runs
// them.
type stopper struct {
	name string
	stop func(ctx context.Context, d *WorkerDispatcher) error
}

var stoppers = []stopper{
	{"close", func(ctx context.Context, d *WorkerDispatcher) error { return d.Close(ctx) }},
	{"unregister", func(ctx context.Context, d *WorkerDispatcher) error { return d.Unregister(ctx, "w") }},
}

// stopInBackground runs s with a context of patience, and returns the channel
// its error comes on.
func stopInBackground(d *WorkerDispatcher, s stopper) <-chan error {
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		stopped <- s.stop(ctx, d)
	}()
	return stopped
}

// holdInline makes a synchronous call with context.Background() to the idle
// recipient under "w", which runs it on the calling goroutine, and returns
// once the call waits at g; its error comes on the returned channel.
func holdInline(t *testing.T, d *WorkerDispatcher, g *gate, job Job) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := d.To("w").Do(context.Background(), job)
		done <- err
	}()
	select {
	case <-g.entered:
	case <-time.After(patience):
		t.Fatal("the inline call never started")
	}
	t.Cleanup(g.release)
	return done
}

// Violation 1 of issue 8: a synchronous call running on its caller's
// goroutine holds the recipient, so stopping it must neither wake its parked
// dedicated goroutine to serve the mailbox beside the call, nor return
// before the call has ended.
func TestStopWaitsForInlineCallOnDedicatedRecipient(t *testing.T) {
	for _, s := range stoppers {
		t.Run(s.name, func(t *testing.T) {
			d := NewWorkerDispatcher()
			defer closeDispatcher(t, d)
			tw, g := gatedWorker("w")
			guard := new(overlap)
			if err := d.Register("w", guardedWorker{tw, guard}, runtime.WithDedicatedGoroutine()); err != nil {
				t.Fatal(err)
			}
			parkDedicated(t, d, "w")
			inline := holdInline(t, d, g, Job{From: "inline", Seq: seqWait})
			queued := d.To("w").DoAsync(context.Background(), Job{From: "queued", Seq: 1})
			stopped := stopInBackground(d, s)

			// Nothing may move while the inline call holds the recipient.
			var stopErr error
			stopReturned := false
			select {
			case stopErr = <-stopped:
				stopReturned = true
				t.Errorf("%s returned (%v) while a call was still running", s.name, stopErr)
			case <-queued.Done():
				t.Errorf("the queued call ran beside the call running on its caller's goroutine")
			case <-time.After(50 * time.Millisecond):
			}
			g.release()
			await(t, "the inline call", func() {
				if err := <-inline; err != nil {
					t.Errorf("inline call: %v", err)
				}
			})
			if !stopReturned {
				await(t, s.name, func() { stopErr = <-stopped })
			}
			if stopErr != nil {
				t.Errorf("%s: %v", s.name, stopErr)
			}
			await(t, "the queued call", func() {
				if r, err := queued.Await(context.Background()); err != nil || r.By != "w" {
					t.Errorf("queued call = %+v, %v; want it drained", r, err)
				}
			})
			if n := guard.overlaps.Load(); n != 0 {
				t.Errorf("methods overlapped %d times", n)
			}
		})
	}
}

// Violation 1 of issue 8, with a backlog of one-way messages behind the
// inline call: each must run exactly once, since the stop has time to drain.
func TestStopDrainsOneWayBacklogBehindInlineCall(t *testing.T) {
	const backlog = 200
	for _, s := range stoppers {
		t.Run(s.name, func(t *testing.T) {
			var dead deadLetters
			d := NewWorkerDispatcher(runtime.WithDeadLetterHandler(dead.handler))
			defer closeDispatcher(t, d)
			tw, g := gatedWorker("w")
			guard := new(overlap)
			var mu sync.Mutex
			ran := map[string]int{}
			tw.tell = func(_ context.Context, note string) {
				mu.Lock()
				ran[note]++
				mu.Unlock()
			}
			if err := d.Register("w", guardedWorker{tw, guard}, runtime.WithDedicatedGoroutine()); err != nil {
				t.Fatal(err)
			}
			parkDedicated(t, d, "w")
			inline := holdInline(t, d, g, Job{From: "inline", Seq: seqWait})
			for i := range backlog {
				d.To("w").Tell(context.Background(), fmt.Sprint("n", i))
			}
			stopped := stopInBackground(d, s)
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			early := len(ran)
			mu.Unlock()
			if early != 0 {
				t.Errorf("%d one-way messages ran while the inline call held the recipient", early)
			}
			g.release()
			await(t, "the inline call and "+s.name, func() {
				if err := <-inline; err != nil {
					t.Errorf("inline call: %v", err)
				}
				if err := <-stopped; err != nil {
					t.Errorf("%s: %v", s.name, err)
				}
			})
			mu.Lock()
			defer mu.Unlock()
			letters := dead.byNote()
			for i := range backlog {
				note := fmt.Sprint("n", i)
				if ran[note] != 1 || len(letters[note]) != 0 {
					t.Errorf("one-way message %s ran %d times and was dead-lettered %d times, want it run once", note, ran[note], len(letters[note]))
				}
			}
			if n := guard.overlaps.Load(); n != 0 {
				t.Errorf("methods overlapped %d times", n)
			}
		})
	}
}

// seqWaitThenPanic makes a Do of stopOnPanicWorker wait at its gate, then
// panic.
const seqWaitThenPanic = -4

// Violation 1 of issue 8, under WithStopOnPanic: an inline call that panics
// stops the recipient, and what was queued behind it fails with ErrClosed
// instead of running, whether or not a Close or an Unregister was already
// waiting for the inline call.
func TestStopOnPanicOfInlineCallOnDedicatedRecipient(t *testing.T) {
	t.Run("alone", func(t *testing.T) { testStopOnPanicOfInlineCall(t, nil) })
	for _, s := range stoppers {
		t.Run("during "+s.name, func(t *testing.T) { testStopOnPanicOfInlineCall(t, &s) })
	}
}

func testStopOnPanicOfInlineCall(t *testing.T, during *stopper) {
	var dead deadLetters
	d := newDispatcher(t, runtime.WithDeadLetterHandler(dead.handler))
	tw := newTestWorker("w")
	g := newGate()
	var mu sync.Mutex
	var ran []string
	tw.do = func(_ context.Context, job Job) error {
		if job.Seq == seqWaitThenPanic {
			g.wait()
			panic("inline call told to panic")
		}
		mu.Lock()
		ran = append(ran, fmt.Sprint("Do ", job.Seq))
		mu.Unlock()
		return nil
	}
	tw.tell = func(_ context.Context, note string) {
		mu.Lock()
		ran = append(ran, "Tell "+note)
		mu.Unlock()
	}
	guard := new(overlap)
	if err := d.Register("w", guardedWorker{tw, guard}, runtime.WithDedicatedGoroutine(), runtime.WithStopOnPanic()); err != nil {
		t.Fatal(err)
	}
	parkDedicated(t, d, "w")
	inline := holdInline(t, d, g, Job{Seq: seqWaitThenPanic})
	var behind []*runtime.Future[Reply]
	for i := range 3 {
		behind = append(behind, d.To("w").DoAsync(context.Background(), Job{Seq: i}))
		d.To("w").Tell(context.Background(), fmt.Sprint("n", i))
	}
	var stopped <-chan error
	if during != nil {
		stopped = stopInBackground(d, *during)
		time.Sleep(20 * time.Millisecond) // the stop waits for the inline call now
	}
	g.release()
	await(t, "the panicking inline call", func() {
		var pe *runtime.PanicError
		if err := <-inline; !errors.As(err, &pe) {
			t.Errorf("inline call: err = %v, want *PanicError", err)
		}
	})
	if during != nil {
		await(t, during.name, func() {
			if err := <-stopped; err != nil {
				t.Errorf("%s: %v", during.name, err)
			}
		})
	}
	await(t, "the calls behind it", func() {
		for i, f := range behind {
			if _, err := f.Await(context.Background()); !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("call %d queued behind the panic: err = %v, want ErrClosed", i, err)
			}
		}
	})
	eventually(t, "the one-way messages behind it dead-lettered", func() bool { return dead.len() >= 3 })
	for note, ls := range dead.byNote() {
		if len(ls) != 1 || !errors.Is(ls[0].Err, runtime.ErrClosed) {
			t.Errorf("one-way message %s: dead letters %+v, want one with ErrClosed", note, ls)
		}
	}
	mu.Lock()
	if len(ran) != 0 {
		t.Errorf("queued behind the panic, these ran: %q", ran)
	}
	mu.Unlock()
	want := runtime.ErrNoRecipient
	if during != nil && during.name == "close" {
		want = runtime.ErrClosed
	}
	if _, err := d.To("w").Do(context.Background(), Job{}); !errors.Is(err, want) {
		t.Errorf("call after the stop: err = %v, want %v", err, want)
	}
	if n := guard.overlaps.Load(); n != 0 {
		t.Errorf("methods overlapped %d times", n)
	}
}

// Job sequence numbers and notes of stuckWorker.
const (
	seqStuck  = -5
	noteStuck = "stuck"
)

// stuckWorker is a worker whose Do waits at hold for seqWait, and whose Do
// for seqStuck and Tell of noteStuck wait at stuck, ignoring their context,
// as a method blocked on I/O does. It records every other message that ran.
type stuckWorker struct {
	*testWorker
	hold, stuck *gate
	mu          sync.Mutex
	others      []string
}

// registerStuck registers a stuckWorker under "w" with opts, and holds it at
// its hold gate with an asynchronous call, whose future it returns.
func registerStuck(t *testing.T, d *WorkerDispatcher, opts ...runtime.RecipientOption) (*stuckWorker, *runtime.Future[Reply]) {
	t.Helper()
	w := &stuckWorker{testWorker: newTestWorker("w"), hold: newGate(), stuck: newGate()}
	w.do = func(_ context.Context, job Job) error {
		switch job.Seq {
		case seqWait:
			w.hold.wait()
		case seqStuck:
			w.stuck.wait()
		default:
			w.record(fmt.Sprint("Do ", job.Seq))
		}
		return nil
	}
	w.tell = func(_ context.Context, note string) {
		if note == noteStuck {
			w.stuck.wait()
			return
		}
		w.record("Tell " + note)
	}
	if err := d.Register("w", w, opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.hold.release)
	t.Cleanup(w.stuck.release)
	held := d.To("w").DoAsync(context.Background(), Job{Seq: seqWait})
	await(t, "the held call to start", func() { <-w.hold.entered })
	return w, held
}

func (w *stuckWorker) record(s string) {
	w.mu.Lock()
	w.others = append(w.others, s)
	w.mu.Unlock()
}

// ran returns the messages other than the held and the stuck ones that ran.
func (w *stuckWorker) ran() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.others...)
}

// Violation 3 of issue 8: at its deadline, Close or Unregister ends every
// message that has not started, whether still in the mailbox or already
// taken by the recipient's goroutine behind a method that ignores its
// context, before it returns.
func TestStopAtDeadlineEndsMessagesBehindStuckMethod(t *testing.T) {
	passThrough := func(ctx context.Context, _ runtime.CallInfo, next func(context.Context) error) error {
		return next(ctx)
	}
	paths := []struct {
		name string
		opts []runtime.Option
	}{
		{"plain", nil},
		{"dedicated", []runtime.Option{runtime.WithDedicatedGoroutine()}},
		{"interceptors", []runtime.Option{runtime.WithInterceptors(passThrough)}},
	}
	for _, s := range stoppers {
		for _, p := range paths {
			for _, stuckKind := range []string{"call", "one-way"} {
				t.Run(s.name+"/"+p.name+"/stuck "+stuckKind, func(t *testing.T) {
					testStopAtDeadline(t, s, p.opts, stuckKind == "one-way")
				})
			}
		}
	}
}

func testStopAtDeadline(t *testing.T, s stopper, opts []runtime.Option, stuckOneWay bool) {
	var dead deadLetters
	d := NewWorkerDispatcher(append(opts, runtime.WithDeadLetterHandler(dead.handler))...)
	defer closeDispatcher(t, d)
	w, held := registerStuck(t, d)
	hold, stuck := w.hold, w.stuck
	ctx := context.Background()

	// Queued behind the held call, these are taken as one batch when it ends:
	// the stuck message first, then the rest behind it.
	var stuckCall *runtime.Future[Reply]
	if stuckOneWay {
		d.To("w").Tell(ctx, noteStuck)
	} else {
		stuckCall = d.To("w").DoAsync(ctx, Job{Seq: seqStuck})
	}
	var futures []*runtime.Future[Reply]
	var notes []string
	for i := range 3 {
		futures = append(futures, d.To("w").DoAsync(ctx, Job{Seq: i}))
		notes = append(notes, fmt.Sprint("taken", i))
		d.To("w").Tell(ctx, notes[i])
	}
	syncDone := make(chan error, 1)
	go func() {
		_, err := d.To("w").Do(ctx, Job{Seq: 10})
		syncDone <- err
	}()
	waitQueued(t, d, "w", 1+1+6+1)
	hold.release()
	await(t, "the stuck method to start", func() { <-stuck.entered })
	// These stay in the mailbox.
	futures = append(futures, d.To("w").DoAsync(ctx, Job{Seq: 20}))
	notes = append(notes, "queued")
	d.To("w").Tell(ctx, "queued")

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := s.stop(short, d); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s: err = %v, want context.DeadlineExceeded", s.name, err)
	}
	// By now every message that had not started has ended.
	for i, f := range futures {
		if !f.Resolved() {
			t.Errorf("asynchronous call %d not resolved when %s returned", i, s.name)
		}
	}
	letters := dead.byNote()
	for _, note := range notes {
		if ls := letters[note]; len(ls) != 1 || !errors.Is(ls[0].Err, runtime.ErrClosed) {
			t.Errorf("one-way message %s: dead letters %+v when %s returned, want one with ErrClosed", note, ls, s.name)
		}
	}
	syncEnded := false
	select {
	case err := <-syncDone:
		syncEnded = true
		if !errors.Is(err, runtime.ErrClosed) {
			t.Errorf("synchronous call: err = %v, want ErrClosed", err)
		}
	case <-time.After(promptly):
		t.Errorf("synchronous call still waiting %v after %s returned", promptly, s.name)
	}
	for i, f := range futures {
		if f.Resolved() {
			if _, err := f.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("asynchronous call %d: err = %v, want ErrClosed", i, err)
			}
		}
	}

	stuck.release()
	if stuckCall != nil {
		await(t, "the stuck call", func() {
			if _, err := stuckCall.Await(ctx); err != nil {
				t.Errorf("stuck call: %v; it ran, so it should end with its own result", err)
			}
		})
	}
	await(t, "the held call", func() { _, _ = held.Await(ctx) })
	if !syncEnded {
		await(t, "the synchronous call", func() { <-syncDone })
	}
	// Whatever ended late must still not have run.
	eventually(t, "every message ended", func() bool {
		for _, f := range futures {
			if !f.Resolved() {
				return false
			}
		}
		return dead.len() >= len(notes)
	})
	if r := w.ran(); len(r) != 0 {
		t.Errorf("messages that had not started by the deadline ran: %q", r)
	}
}
