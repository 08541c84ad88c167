package runtime_test

// A method that calls runtime.Goexit (as t.FailNow does) on every path that
// can run it: its call ends with a *PanicError that wraps ErrGoexit, Stats
// counts it in Panics, and the recipient goes on serving with all its
// mailbox's room.

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Notes that make the Tell of unrulyWorker panic, or call runtime.Goexit.
const (
	notePanic  = "panic"
	noteGoexit = "goexit"
)

// seqRound and up are the held calls of the rounds of
// TestGoexitOfOneWayLeaksNoRoom, each waiting at a gate of its own.
const seqRound = 100

// unrulyWorker returns a worker whose Do waits at the returned gate for
// seqWait, panics for seqPanic and calls runtime.Goexit for seqGoexit, and
// whose Tell panics for notePanic and calls runtime.Goexit for noteGoexit.
func unrulyWorker() (*testWorker, *gate) {
	w, g := gatedWorker("w")
	do := w.do
	w.do = func(ctx context.Context, job Job) error {
		if job.Seq == seqGoexit {
			goruntime.Goexit()
		}
		return do(ctx, job)
	}
	w.tell = func(_ context.Context, note string) {
		switch note {
		case notePanic:
			panic("one-way message told to panic")
		case noteGoexit:
			goruntime.Goexit()
		}
	}
	return w, g
}

// goexitPaths are the ways a recipient may be served, for the Goexit tests.
var goexitPaths = []struct {
	name     string
	opts     []runtime.Option
	recOpts  []runtime.RecipientOption
	oneByOne bool // interceptors make one-way messages run one at a time
}{
	{name: "plain"},
	{name: "dedicated", recOpts: []runtime.RecipientOption{runtime.WithDedicatedGoroutine()}},
	{name: "interceptors", opts: []runtime.Option{runtime.WithInterceptors(
		func(ctx context.Context, _ runtime.CallInfo, next func(context.Context) error) error {
			return next(ctx)
		})}, oneByOne: true},
}

// checkGoexitError fails unless err is what a call whose method called
// runtime.Goexit must end with.
func checkGoexitError(t *testing.T, what string, err error, method string) {
	t.Helper()
	var pe *runtime.PanicError
	if !errors.As(err, &pe) || !errors.Is(err, runtime.ErrGoexit) {
		t.Errorf("%s: err = %v (%T), want a *PanicError wrapping ErrGoexit", what, err, err)
		return
	}
	if pe.Recipient != "Worker" || pe.Key != "w" || pe.Method != method {
		t.Errorf("%s: PanicError = %+v, want one of Worker[w].%s", what, pe, method)
	}
}

// waitIdle waits until the recipient under key has nothing queued, and
// returns its counters then.
func waitIdle(t *testing.T, d *WorkerDispatcher, key string) runtime.Stats {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		s := d.Stats()[key]
		if s.Queued == 0 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recipient %s still has messages queued after %v: %+v", key, patience, s)
		}
		time.Sleep(time.Millisecond)
	}
}

// Violation 6 of issue 8: a call whose method calls runtime.Goexit ends with
// an error of a documented kind, whether the method ran on the recipient's
// own goroutine, its dedicated goroutine, or through interceptors, for a
// synchronous call and an asynchronous one alike.
func TestGoexitEndsCallWithPanicError(t *testing.T) {
	for _, p := range goexitPaths {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			d := newDispatcher(t, p.opts...)
			w, g := unrulyWorker()
			if err := d.Register("w", w, p.recOpts...); err != nil {
				t.Fatal(err)
			}
			// A context that can end keeps the synchronous call off the
			// caller's goroutine, which Goexit would end.
			_, err := d.To("w").Do(ctx, Job{Seq: seqGoexit})
			checkGoexitError(t, "synchronous call", err, "Do")
			_, err = d.To("w").DoAsync(ctx, Job{Seq: seqGoexit}).Await(ctx)
			checkGoexitError(t, "asynchronous call", err, "Do")

			// Behind a held call, in one batch with calls after it.
			hold(t, d, "w", g)
			f := d.To("w").DoAsync(context.Background(), Job{Seq: seqGoexit})
			behind := d.To("w").DoAsync(context.Background(), Job{Seq: 1})
			g.release()
			await(t, "the calls of the batch", func() {
				_, err := f.Await(ctx)
				checkGoexitError(t, "call in a batch", err, "Do")
				if r, err := behind.Await(ctx); err != nil || r.By != "w" {
					t.Errorf("call behind the Goexit = %+v, %v; the recipient should go on", r, err)
				}
			})
			if s := waitIdle(t, d, "w"); s.Panics != 3 || s.Handled != 2 || s.Failed != 0 {
				t.Errorf("Stats = %+v, want 3 panics (the Goexits) and 2 handled", s)
			}
		})
	}
}

// A synchronous call with context.Background() to an idle recipient runs on
// its caller's goroutine, which runtime.Goexit then ends: the caller gets no
// error, but the recipient must count the call and go on with all its room.
func TestGoexitOfInlineCallKeepsRecipient(t *testing.T) {
	for _, p := range goexitPaths {
		t.Run(p.name, func(t *testing.T) {
			d := newDispatcher(t, p.opts...)
			w, _ := unrulyWorker()
			opts := append([]runtime.RecipientOption{runtime.WithMailboxSize(1), runtime.WithFailFast()}, p.recOpts...)
			if err := d.Register("w", w, opts...); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				done := make(chan struct{})
				go func() {
					defer close(done)
					_, _ = d.To("w").Do(context.Background(), Job{Seq: seqGoexit})
					t.Error("Do returned on a goroutine that runtime.Goexit ended")
				}()
				await(t, "the inline call", func() { <-done })
			}
			await(t, "a call after the Goexits", func() {
				if _, err := d.To("w").Do(context.Background(), Job{}); err != nil {
					t.Errorf("call after the Goexits: %v", err)
				}
			})
			if s := waitIdle(t, d, "w"); s.Panics != 3 || s.Handled != 1 || s.Rejected != 0 {
				t.Errorf("Stats = %+v, want 3 panics and 1 handled", s)
			}
		})
	}
}

// Violations 2 and 6 of issue 8: a one-way method that calls runtime.Goexit
// is dead-lettered with a *PanicError wrapping ErrGoexit, and leaves the room
// of the messages that ran before it in its run, so that round after round
// the mailbox keeps room for all it held.
func TestGoexitOfOneWayLeaksNoRoom(t *testing.T) {
	const rounds = 5
	for _, p := range goexitPaths {
		t.Run(p.name, func(t *testing.T) {
			var dead deadLetters
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(dead.handler))...)
			w, _ := unrulyWorker()
			gates := make([]*gate, rounds)
			for i := range gates {
				gates[i] = newGate()
				t.Cleanup(gates[i].release)
			}
			do := w.do
			w.do = func(ctx context.Context, job Job) error {
				if job.Seq >= seqRound {
					gates[job.Seq-seqRound].wait()
					return nil
				}
				return do(ctx, job)
			}
			// The held call and the three messages of a round fill it exactly.
			opts := append([]runtime.RecipientOption{runtime.WithMailboxSize(4), runtime.WithFailFast()}, p.recOpts...)
			if err := d.Register("w", w, opts...); err != nil {
				t.Fatal(err)
			}
			for round := range rounds {
				g := gates[round]
				held := d.To("w").DoAsync(context.Background(), Job{Seq: seqRound + round})
				await(t, "the held call", func() { <-g.entered })
				// One run of one-way messages: one before the Goexit, one after.
				for _, note := range []string{fmt.Sprint("before", round), noteGoexit, fmt.Sprint("after", round)} {
					d.To("w").Tell(context.Background(), note)
				}
				g.release()
				await(t, "the held call", func() { _, _ = held.Await(context.Background()) })
				s := waitIdle(t, d, "w")
				if want := uint64(round + 1); s.Panics != want || s.Handled != 3*want || s.Failed != 0 || s.Rejected != 0 {
					t.Fatalf("round %d: Stats = %+v, want %d panics, %d handled, nothing failed or rejected", round, s, want, 3*want)
				}
			}
			letters := dead.byNote()
			if len(letters) != 1 || len(letters[noteGoexit]) != rounds {
				t.Fatalf("dead letters = %+v, want %d, all of the Goexit", letters, rounds)
			}
			for _, l := range letters[noteGoexit] {
				checkGoexitError(t, "dead letter of the Goexit", l.Err, "Tell")
			}
			if len(w.notes) != 2*rounds {
				t.Errorf("notes = %q, want every one-way message but the Goexits", w.notes)
			}
		})
	}
}
