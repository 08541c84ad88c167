package runtime_test

// The runtime's bookkeeping survives the user's callbacks: a dead-letter
// handler or an interceptor that panics ends no more than its own part, and
// every message still ends once and is counted once.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// panickingDeadLetters returns a dead-letter handler that records each
// letter in dl and then panics.
func panickingDeadLetters(dl *deadLetters) func(runtime.DeadLetter) {
	return func(l runtime.DeadLetter) {
		dl.handler(l)
		panic(fmt.Sprintf("dead-letter handler told to panic for %s", l.Method))
	}
}

// catch runs f and returns what it panicked with, if it did.
func catch(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// Violation 7 of issue 8: a dead-letter handler that panics while Close or
// Unregister fails what is queued at their deadline makes neither panic, and
// every queued call still ends with ErrClosed by the time they return.
func TestDeadLetterHandlerPanicsDuringStop(t *testing.T) {
	for _, s := range stoppers {
		t.Run(s.name, func(t *testing.T) {
			var dead deadLetters
			d := NewWorkerDispatcher(runtime.WithDeadLetterHandler(panickingDeadLetters(&dead)))
			defer closeDispatcher(t, d)
			_, g := registerHeld(t, d, "w")
			ctx := context.Background()
			var futures []*runtime.Future[Reply]
			for i := range 3 {
				d.To("w").Tell(ctx, fmt.Sprint("n", i))
				futures = append(futures, d.To("w").DoAsync(ctx, Job{Seq: i}))
			}
			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			var err error
			if v := catch(func() { err = s.stop(short, d) }); v != nil {
				t.Errorf("%s panicked: %v", s.name, v)
			} else if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: err = %v, want context.DeadlineExceeded", s.name, err)
			}
			for i, f := range futures {
				if !f.Resolved() {
					t.Errorf("call %d not resolved when %s returned", i, s.name)
				} else if _, err := f.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
					t.Errorf("call %d: err = %v, want ErrClosed", i, err)
				}
			}
			letters := dead.byNote()
			for i := range 3 {
				if ls := letters[fmt.Sprint("n", i)]; len(ls) != 1 || !errors.Is(ls[0].Err, runtime.ErrClosed) {
					t.Errorf("one-way message n%d: dead letters %+v, want one with ErrClosed", i, ls)
				}
			}
			g.release()
			if s.name == "unregister" {
				// The dispatcher goes on.
				if err := d.Register("w", newTestWorker("w")); err != nil {
					t.Fatal(err)
				}
				if _, err := d.To("w").Do(ctx, Job{}); err != nil {
					t.Errorf("call after the Unregister: %v", err)
				}
			}
		})
	}
}

// Violation 7 of issue 8: a dead-letter handler that panics on the
// recipient's goroutine, handed a one-way message that panicked or called
// runtime.Goexit, stops neither the recipient nor its bookkeeping. Broken,
// that panic would crash the test binary, hence the child process.
func TestDeadLetterHandlerPanicsOnRecipientGoroutine(t *testing.T) {
	if !inChild(t) {
		return
	}
	for _, p := range goexitPaths {
		t.Run(p.name, func(t *testing.T) {
			var dead deadLetters
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(panickingDeadLetters(&dead)))...)
			w, g := unrulyWorker()
			if err := d.Register("w", w, p.recOpts...); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			held := hold(t, d, "w", g)
			for _, note := range []string{"a", notePanic, "b", noteGoexit, "c"} {
				d.To("w").Tell(ctx, note)
			}
			behind := d.To("w").DoAsync(ctx, Job{Seq: 1})
			g.release()
			await(t, "the calls", func() {
				if _, err := held.Await(ctx); err != nil {
					t.Errorf("held call: %v", err)
				}
				if _, err := behind.Await(ctx); err != nil {
					t.Errorf("call behind the panicking dead-letter handler: %v", err)
				}
			})
			if _, err := d.To("w").Do(ctx, Job{}); err != nil {
				t.Errorf("call after: %v", err)
			}
			s := waitIdle(t, d, "w")
			s.HighWater = 0
			if want := (runtime.Stats{Handled: 1 + 3 + 1 + 1, Panics: 2}); s != want {
				t.Errorf("Stats = %+v, want %+v", s, want)
			}
			letters := dead.byNote()
			if len(letters) != 2 || len(letters[notePanic]) != 1 || len(letters[noteGoexit]) != 1 {
				t.Errorf("dead letters = %+v, want one for the panic and one for the Goexit", letters)
			}
			if len(w.notes) != 3 {
				t.Errorf("notes = %q, want a, b and c", w.notes)
			}
		})
	}
}

// An interceptor that panics, before or after it calls next, ends the
// message it wraps with a *PanicError (a dead letter for a one-way message)
// on every path, and Stats count that message once.
func TestInterceptorPanicsOnEveryPath(t *testing.T) {
	for _, dedicated := range []bool{false, true} {
		for _, when := range []string{"before next", "after next"} {
			t.Run(fmt.Sprintf("dedicated=%v/%s", dedicated, when), func(t *testing.T) {
				var dead deadLetters
				var nexts atomic.Int32
				d := newDispatcher(t, runtime.WithDeadLetterHandler(dead.handler),
					runtime.WithInterceptors(func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
						if info.Method == "Pair" {
							return next(ctx) // the one method it lets be
						}
						if when == "after next" {
							nexts.Add(1)
							_ = next(ctx)
						}
						panic("interceptor told to panic")
					}))
				var opts []runtime.RecipientOption
				if dedicated {
					opts = append(opts, runtime.WithDedicatedGoroutine())
				}
				if err := d.Register("w", newTestWorker("w"), opts...); err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				checkPanic := func(what string, err error) {
					t.Helper()
					var pe *runtime.PanicError
					if !errors.As(err, &pe) || pe.Value != "interceptor told to panic" {
						t.Errorf("%s: err = %v, want the interceptor's *PanicError", what, err)
					}
				}
				sent := 0
				_, err := d.To("w").Do(ctx, Job{})
				checkPanic("inline call", err)
				_, err = d.To("w").Do(cctx, Job{})
				checkPanic("queued call", err)
				_, err = d.To("w").DoAsync(ctx, Job{}).Await(ctx)
				checkPanic("asynchronous call", err)
				sent += 3
				// Behind a call the interceptor lets be, in one batch.
				block := d.To("w").PairAsync(ctx, 1, 2)
				f := d.To("w").DoAsync(ctx, Job{})
				for i := range 3 {
					d.To("w").Tell(ctx, fmt.Sprint("n", i))
				}
				_, err = f.Await(ctx)
				checkPanic("call in a batch", err)
				if _, err := block.Await(ctx); err != nil {
					t.Errorf("Pair: %v", err)
				}
				sent += 5
				if _, _, err := d.To("w").Pair(ctx, 1, 2); err != nil {
					t.Errorf("Pair after the panics: %v", err)
				}
				sent++
				s := waitIdle(t, d, "w")
				if s.Handled != 2 || s.Panics != uint64(sent-2) || s.Failed != 0 {
					t.Errorf("Stats = %+v, want 2 handled (the Pairs) and %d panics", s, sent-2)
				}
				letters := dead.byNote()
				for i := range 3 {
					var pe *runtime.PanicError
					if ls := letters[fmt.Sprint("n", i)]; len(ls) != 1 || !errors.As(ls[0].Err, &pe) {
						t.Errorf("one-way message n%d: dead letters %+v, want one with a *PanicError", i, ls)
					}
				}
				if n := nexts.Load(); when == "after next" && n != int32(sent-2) {
					t.Errorf("the interceptor called next %d times, want %d", n, sent-2)
				}
			})
		}
	}
}
