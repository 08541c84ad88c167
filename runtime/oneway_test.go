package runtime_test

// One-way messages, once sent, are not taken back: the sender's context
// bounds only the wait for room. A message sent runs with the context's
// values but not its cancellation; one sent with a context that has already
// ended is not accepted and goes to the dead-letter handler at once.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// oneWayPaths are the ways one-way messages run: in runs of a lane, one by
// one through interceptors, and on a dedicated goroutine.
var oneWayPaths = []struct {
	name    string
	opts    []runtime.Option
	recOpts []runtime.RecipientOption
}{
	{name: "plain"},
	{name: "interceptors", opts: []runtime.Option{runtime.WithInterceptors(
		func(ctx context.Context, _ runtime.CallInfo, next func(context.Context) error) error {
			return next(ctx)
		})}},
	{name: "dedicated", recOpts: []runtime.RecipientOption{runtime.WithDedicatedGoroutine()}},
}

// tellContext is what a Tell's method saw of its context.
type tellContext struct {
	value      any
	done       bool // Done returned a channel
	err        error
	afterBlock error // Err once the test had canceled, for the blocking note
}

// New rule of issue 8: a one-way message whose sender's context is canceled
// after Send returned still runs, and its method sees the context's values
// but neither a Done channel nor an error, before or after the cancel.
func TestOneWayRunsAfterSendersContextEnds(t *testing.T) {
	for _, p := range oneWayPaths {
		t.Run(p.name, func(t *testing.T) {
			var dead deadLetters
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(dead.handler))...)
			w := newTestWorker("w")
			blocking := newGate()
			t.Cleanup(blocking.release)
			canceled := make(chan struct{})
			var mu sync.Mutex
			seen := map[string]tellContext{}
			w.tell = func(ctx context.Context, note string) {
				tc := tellContext{value: ctx.Value(ctxKey{}), done: ctx.Done() != nil, err: ctx.Err()}
				if note == "blocking" {
					// Canceled while this method runs.
					blocking.wait()
					<-canceled
					tc.afterBlock = ctx.Err()
				}
				mu.Lock()
				seen[note] = tc
				mu.Unlock()
			}
			if err := d.Register("w", w, p.recOpts...); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "traveled"))
			defer cancel()
			// Sent well before its deadline, which passes while it is queued.
			deadline, cancelDeadline := context.WithTimeout(context.WithValue(context.Background(), ctxKey{}, "traveled"), 50*time.Millisecond)
			defer cancelDeadline()
			d.To("w").Tell(ctx, "blocking")
			await(t, "the blocking one-way message to start", func() { <-blocking.entered })
			notes := []string{"blocking"}
			for i := range 5 {
				notes = append(notes, fmt.Sprint("queued", i))
				d.To("w").Tell(ctx, notes[len(notes)-1])
			}
			notes = append(notes, "deadline")
			d.To("w").Tell(deadline, "deadline")
			if deadline.Err() != nil {
				t.Fatal("the deadline passed before Tell returned: the test needs a longer one")
			}
			cancel()
			<-deadline.Done()
			close(canceled)
			blocking.release()
			eventually(t, "every one-way message to run", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(seen)+dead.len() >= len(notes)
			})
			if n := dead.len(); n != 0 {
				t.Errorf("dead letters %+v; a one-way message once sent is not taken back", dead.byNote())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, note := range notes {
				tc, ran := seen[note]
				switch {
				case !ran:
					t.Errorf("%s did not run", note)
				case tc.value != "traveled":
					t.Errorf("%s: the method saw the value %v, want the sender's", note, tc.value)
				case tc.done || tc.err != nil || tc.afterBlock != nil:
					t.Errorf("%s: the method saw Done %v, Err %v (%v once canceled); want neither", note, tc.done, tc.err, tc.afterBlock)
				}
			}
		})
	}
}

// New rule of issue 8: a one-way message sent with a context that has
// already ended is not accepted: it is dead-lettered with the context's error
// before Send returns, never runs, and is not counted as queued.
func TestOneWayWithEndedContextIsNotAccepted(t *testing.T) {
	canceledCtx, cancel := context.WithCancel(context.Background())
	cancel()
	expiredCtx, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	for _, p := range oneWayPaths {
		for _, busy := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/busy=%v", p.name, busy), func(t *testing.T) {
				var dead deadLetters
				d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(dead.handler))...)
				w, g := gatedWorker("w")
				if err := d.Register("w", w, p.recOpts...); err != nil {
					t.Fatal(err)
				}
				want := runtime.Stats{}
				if busy {
					hold(t, d, "w", g)
					want = runtime.Stats{Queued: 1, HighWater: 1}
				}
				for _, c := range []struct {
					note string
					ctx  context.Context
					err  error
				}{
					{"canceled", canceledCtx, context.Canceled},
					{"expired", expiredCtx, context.DeadlineExceeded},
				} {
					d.To("w").Tell(c.ctx, c.note)
					ls := dead.byNote()[c.note]
					if len(ls) != 1 || !errors.Is(ls[0].Err, c.err) {
						t.Errorf("%s: dead letters %+v when Tell returned, want one with %v", c.note, ls, c.err)
					}
				}
				if s := d.Stats()["w"]; s != want {
					t.Errorf("Stats = %+v, want %+v: a message not accepted is not counted", s, want)
				}
				g.release()
				if err := d.To("w").Ping(context.Background()); err != nil {
					t.Fatal(err)
				}
				if s := waitIdle(t, d, "w"); s.Failed != 0 {
					t.Errorf("Stats = %+v, want nothing failed: the messages were never accepted", s)
				}
				if len(w.notes) != 0 {
					t.Errorf("one-way messages sent with an ended context ran: %q", w.notes)
				}
				if n := dead.len(); n != 2 {
					t.Errorf("%d dead letters, want 2", n)
				}
			})
		}
	}
}
