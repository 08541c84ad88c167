package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Violation 4 of issue 8: a one-way message that has been handled leaves its
// room in the mailbox before the next message starts, not once the call
// after it in the same batch returns: with a mailbox of 3 and one call
// running, two more messages fit.
func TestHandledOneWayLeavesItsRoom(t *testing.T) {
	for _, p := range oneWayPaths {
		t.Run(p.name, func(t *testing.T) {
			var dead deadLetters
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(dead.handler))...)
			opts := append([]runtime.RecipientOption{runtime.WithMailboxSize(3), runtime.WithFailFast()}, p.recOpts...)
			w, held := registerStuck(t, d, opts...)
			ctx := context.Background()
			// One batch: a one-way message, then a call that blocks.
			d.To("w").Tell(ctx, "before")
			blocked := d.To("w").DoAsync(ctx, Job{Seq: seqStuck})
			w.hold.release()
			await(t, "the blocked call to start", func() { <-w.stuck.entered })

			// "before" has ended; only the blocked call holds room.
			for i := range 2 {
				d.To("w").Tell(ctx, fmt.Sprint("after", i))
			}
			for note, ls := range dead.byNote() {
				for _, l := range ls {
					if errors.Is(l.Err, runtime.ErrMailboxFull) {
						t.Errorf("one-way message %s refused as full: %+v", note, d.Stats()["w"])
					}
				}
			}
			w.stuck.release()
			await(t, "the calls", func() {
				_, _ = held.Await(ctx)
				_, _ = blocked.Await(ctx)
			})
			if s := waitIdle(t, d, "w"); s.Handled != 5-uint64(dead.len()) {
				t.Errorf("Stats = %+v with %d dead letters, want every message accepted handled", s, dead.len())
			}
		})
	}
}

// A call whose caller has its result has left its room in the mailbox: one
// goroutine making one call after another to a mailbox of one place that
// fails fast never finds it full. The calls' context can end, so that each
// goes through the mailbox to the recipient's goroutine; the fuzz seed
// room-after-end found the refusals.
func TestEndedCallLeavesItsRoom(t *testing.T) {
	d := newDispatcher(t)
	if err := d.Register("w", newTestWorker("w"), runtime.WithMailboxSize(1), runtime.WithFailFast()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const calls = 20000
	full := 0
	for i := range calls {
		if _, err := d.To("w").Do(ctx, Job{Seq: i}); errors.Is(err, runtime.ErrMailboxFull) {
			full++
		} else if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if full > 0 {
		t.Errorf("%d of %d calls, each made once the one before had its result, found the mailbox of one place full: %+v",
			full, calls, d.Stats()["w"])
	}
}

// A one-way message that Flush has seen end has left its room: one goroutine
// telling a mailbox of one place that fails fast, and flushing after each
// message, never finds it full.
func TestFlushedOneWayLeavesItsRoom(t *testing.T) {
	var full atomic.Int32
	d := newDispatcher(t, runtime.WithDeadLetterHandler(func(dl runtime.DeadLetter) {
		if errors.Is(dl.Err, runtime.ErrMailboxFull) {
			full.Add(1)
		}
	}))
	if err := d.Register("w", newTestWorker("w"), runtime.WithMailboxSize(1), runtime.WithFailFast()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const sends = 20000
	for i := range sends {
		d.To("w").Tell(ctx, fmt.Sprint(i))
		if err := d.Flush(ctx, "w"); err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
	}
	if n := full.Load(); n > 0 {
		t.Errorf("%d of %d one-way messages, each sent once Flush had seen the one before end, found the mailbox of one place full: %+v",
			n, sends, d.Stats()["w"])
	}
}

// A sender that gave up waiting for room leaves no wait behind it: once
// the mailbox has drained, a sender whose context has ended already finds
// room, as it would have had nobody waited before. The fuzz model found the
// mailbox refusing it while the recipient's goroutine lingered.
func TestGivenUpWaitForRoomLeavesNoWait(t *testing.T) {
	for _, opts := range [][]runtime.RecipientOption{nil, {runtime.WithDedicatedGoroutine()}} {
		for range 50 {
			d := newDispatcher(t)
			w, g := gatedWorker("w")
			if err := d.Register("w", w, append(opts, runtime.WithMailboxSize(1))...); err != nil {
				t.Fatal(err)
			}
			bg := context.Background()
			held := hold(t, d, "w", g)
			canceled, cancel := context.WithCancel(bg)
			cancel()
			if _, err := d.To("w").DoAsync(canceled, Job{Seq: 1}).Await(bg); !errors.Is(err, context.Canceled) {
				t.Fatalf("a call to a full mailbox with a canceled context = %v, want context.Canceled", err)
			}
			g.release()
			if _, err := held.Await(bg); err != nil {
				t.Fatal(err)
			}
			if err := d.Flush(bg, "w"); err != nil {
				t.Fatal(err)
			}
			f := d.To("w").DoAsync(canceled, Job{Seq: 2})
			if _, err := f.Await(bg); !errors.Is(err, context.Canceled) {
				t.Fatalf("a call with a canceled context = %v, want context.Canceled", err)
			}
			// Await gave the call up at once; the recipient counts it
			// when it reaches it.
			if err := d.Flush(bg, "w"); err != nil {
				t.Fatal(err)
			}
			if s := d.Stats()["w"]; s.Handled+s.Failed != 2 || s.Queued != 0 {
				t.Fatalf("Stats = %+v, want the held call handled and the call sent to the drained mailbox accepted, and failed", s)
			}
		}
	}
}
