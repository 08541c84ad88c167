package runtime_test

// With GODEBUG=panicnil=1, panic(nil) is recovered as nil, which looks like
// no panic at all, or like runtime.Goexit, to code that asks recover alone.
// It is still a panic: each path must end the message once, with a
// *PanicError. The setting is process-wide, so the test runs in a child
// process of its own.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// seqPanicNil makes a Do of panicNilWorker panic with nil.
const seqPanicNil = -6

// notePanicNil makes a Tell of panicNilWorker panic with nil, the first time
// it is run with a given note that starts with it.
const notePanicNil = "panicnil"

// panicNilWorker returns a worker that panics with nil as seqPanicNil and
// notePanicNil say, and counts how often each note's Tell ran.
func panicNilWorker() (w *testWorker, runs map[string]int) {
	w = newTestWorker("w")
	runs = map[string]int{}
	w.do = func(_ context.Context, job Job) error {
		if job.Seq == seqPanicNil {
			panic(nil)
		}
		return nil
	}
	w.tell = func(_ context.Context, note string) {
		runs[note]++
		if runs[note] == 1 && strings.HasPrefix(note, notePanicNil) {
			panic(nil)
		}
	}
	return w, runs
}

// Violation 8 of issue 8, and guarantee 4 for panic(nil): under
// GODEBUG=panicnil=1 a one-way method that panics with nil runs once and is
// dead-lettered with a *PanicError, and a call whose method does ends with a
// *PanicError, not with a zero result and no error.
func TestPanicNil(t *testing.T) {
	if !inChild(t, "GODEBUG=panicnil=1") {
		return
	}
	if func() (recovered any) {
		defer func() { recovered = recover() }()
		panic(nil)
	}() != nil {
		t.Fatal("GODEBUG=panicnil=1 is not in effect: panic(nil) is recovered as a non-nil value")
	}
	for _, p := range goexitPaths {
		t.Run(p.name, func(t *testing.T) {
			var dead deadLetters
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(dead.handler))...)
			w, runs := panicNilWorker()
			if err := d.Register("w", w, p.recOpts...); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for _, c := range []struct {
				what string
				call func() error
			}{
				{"inline call", func() error { _, err := d.To("w").Do(ctx, Job{Seq: seqPanicNil}); return err }},
				{"queued call", func() error { _, err := d.To("w").Do(cctx, Job{Seq: seqPanicNil}); return err }},
				{"asynchronous call", func() error {
					_, err := d.To("w").DoAsync(ctx, Job{Seq: seqPanicNil}).Await(ctx)
					return err
				}},
			} {
				var pe *runtime.PanicError
				if err := c.call(); !errors.As(err, &pe) || pe.Method != "Do" {
					t.Errorf("%s whose method panicked with nil: err = %v, want a *PanicError of Do", c.what, err)
				}
			}
			var notes []string
			for i := range 3 {
				notes = append(notes, fmt.Sprint(notePanicNil, i), fmt.Sprint("after", i))
			}
			for _, note := range notes {
				d.To("w").Tell(ctx, note)
			}
			if err := d.To("w").Ping(cctx); err != nil {
				t.Fatal(err)
			}
			letters := dead.byNote()
			for _, note := range notes {
				want := 0
				if strings.HasPrefix(note, notePanicNil) {
					want = 1
				}
				ls := letters[note]
				var pe *runtime.PanicError
				switch {
				case runs[note] != 1:
					t.Errorf("one-way message %s ran %d times, want once", note, runs[note])
				case len(ls) != want:
					t.Errorf("one-way message %s: dead letters %+v, want %d", note, ls, want)
				case want == 1 && !errors.As(ls[0].Err, &pe):
					t.Errorf("one-way message %s: dead letter's err = %v, want a *PanicError", note, ls[0].Err)
				}
			}
			s := waitIdle(t, d, "w")
			if s.Panics != 3+3 || s.Handled != 3+1 || s.Failed != 0 {
				t.Errorf("Stats = %+v, want 6 panics and 4 handled", s)
			}
		})
	}
}
