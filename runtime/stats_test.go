package runtime_test

// Stats add up: a snapshot never shows fewer queued and ended messages than
// the mailbox accepted before it was taken, and once the recipient is idle
// they account for every message exactly.

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// accounted returns how many messages s accounts for.
func accounted(s runtime.Stats) uint64 {
	return uint64(s.Queued) + s.Handled + s.Failed + s.Panics
}

// Violation 5 of issue 8: while one-way messages and calls stream through a
// recipient, every snapshot accounts for at least the messages whose send
// had returned before it was taken.
func TestStatsNeverUndercount(t *testing.T) {
	run := time.Second
	if testing.Short() {
		run = 200 * time.Millisecond
	}
	for _, p := range oneWayPaths {
		t.Run(p.name, func(t *testing.T) {
			d := newDispatcher(t, p.opts...)
			if err := d.Register("w", newTestWorker("w"), p.recOpts...); err != nil {
				t.Fatal(err)
			}
			var accepted atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for s := range 2 {
				wg.Go(func() {
					ctx := context.Background()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if i%64 == 63 {
							if _, err := d.To("w").Do(ctx, Job{From: fmt.Sprint("s", s), Seq: i}); err != nil {
								t.Error(err)
								return
							}
						} else {
							d.To("w").Tell(ctx, "x")
						}
						accepted.Add(1)
					}
				})
			}
			deadline := time.Now().Add(run)
			snapshots, worst := 0, int64(0)
			var worstStats runtime.Stats
			var worstSent uint64
			for time.Now().Before(deadline) {
				sent := accepted.Load()
				s := d.Stats()["w"]
				snapshots++
				if short := int64(sent) - int64(accounted(s)); short > worst {
					worst, worstStats, worstSent = short, s, sent
				}
				if snapshots%64 == 0 {
					goruntime.Gosched()
				}
			}
			close(stop)
			await(t, "senders", wg.Wait)
			if worst > 0 {
				t.Errorf("a snapshot accounted for %d messages fewer than the %d sent before it: %+v (%d snapshots)", worst, worstSent, worstStats, snapshots)
			}
			s := waitIdle(t, d, "w")
			if got, want := accounted(s), accepted.Load(); got != want || s.Failed != 0 || s.Panics != 0 {
				t.Errorf("once idle, Stats = %+v account for %d messages, want %d, all handled", s, got, want)
			}
		})
	}
}

// Issue 8: once a recipient is idle, Stats account for every message it
// accepted, exactly, whatever path each took: run on the caller's goroutine
// or the recipient's, one-way or not, returned, panicked, called
// runtime.Goexit or was canceled while queued.
func TestStatsAddUpOnEveryPath(t *testing.T) {
	for _, p := range goexitPaths {
		t.Run(p.name, func(t *testing.T) {
			d := newDispatcher(t, append(p.opts, runtime.WithDeadLetterHandler(func(runtime.DeadLetter) {}))...)
			w, g := unrulyWorker()
			if err := d.Register("w", w, p.recOpts...); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			want := runtime.Stats{}

			// On the caller's goroutine: one returns, one panics.
			_, _ = d.To("w").Do(ctx, Job{})
			_, _ = d.To("w").Do(ctx, Job{Seq: seqPanic})
			want.Handled++
			want.Panics++
			// Through the mailbox, one of each.
			_, _ = d.To("w").Do(cctx, Job{})
			_, _ = d.To("w").Do(cctx, Job{Seq: seqPanic})
			_, _ = d.To("w").Do(cctx, Job{Seq: seqGoexit})
			_, _ = d.To("w").DoAsync(ctx, Job{Seq: seqGoexit}).Await(ctx)
			want.Handled++
			want.Panics += 3

			// In one batch behind a held call.
			held := hold(t, d, "w", g)
			want.Handled++
			var futures []*runtime.Future[Reply]
			for _, seq := range []int{1, seqPanic, seqGoexit, 2} {
				futures = append(futures, d.To("w").DoAsync(ctx, Job{Seq: seq}))
			}
			want.Handled += 2
			want.Panics += 2
			for _, note := range []string{"a", notePanic, "b", noteGoexit, "c", "d"} {
				d.To("w").Tell(ctx, note)
			}
			want.Handled += 4
			want.Panics += 2
			qctx, qcancel := context.WithCancel(ctx)
			canceled := d.To("w").DoAsync(qctx, Job{Seq: 3})
			qcancel()
			want.Failed++
			g.release()
			await(t, "the batch", func() {
				_, _ = held.Await(ctx)
				for _, f := range append(futures, canceled) {
					_, _ = f.Await(ctx)
				}
			})
			s := waitIdle(t, d, "w")
			s.HighWater = 0
			if s != want {
				t.Errorf("Stats = %+v, want %+v", s, want)
			}
		})
	}
}

// Every snapshot puts each message in the kind it ended as: while calls
// canceled in the queue end, one by one, Handled counts only the call that
// ran, and no count ever goes down. A snapshot taken while the server adds
// a failed message to the counters once counted it as handled, and the
// next took it back.
func TestStatsNeverCountFailedAsHandled(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 4
	}
	d := newDispatcher(t)
	ctx := context.Background()
	for round := range rounds {
		key := fmt.Sprint("w", round)
		w, g := gatedWorker(key)
		if err := d.Register(key, w); err != nil {
			t.Fatal(err)
		}
		held := hold(t, d, key, g)
		qctx, qcancel := context.WithCancel(ctx)
		canceled := make([]*runtime.Future[Reply], 500)
		for i := range canceled {
			canceled[i] = d.To(key).DoAsync(qctx, Job{Seq: i})
		}
		qcancel()
		g.release()
		var last runtime.Stats
		for {
			s := d.Stats()[key]
			if s.Handled > 1 {
				t.Fatalf("round %d: Stats = %+v: %d handled, but one call ran", round, s, s.Handled)
			}
			if s.Handled < last.Handled || s.Failed < last.Failed || s.Panics < last.Panics {
				t.Fatalf("round %d: Stats went down, from %+v to %+v", round, last, s)
			}
			last = s
			if s.Queued == 0 {
				break
			}
		}
		if _, err := held.Await(ctx); err != nil {
			t.Fatal(err)
		}
		for _, f := range canceled {
			if _, err := f.Await(ctx); err == nil {
				t.Fatal("a call canceled while queued ran")
			}
		}
	}
}

// TestStatsCountASkippedCallWhileTheNextMethodRuns: a call whose caller
// gave up while it was queued ends when the server reaches it and skips it,
// and counts as failed then, even when the next message is a one-way one
// whose method does not return. The fuzz model found it counted as queued
// for as long as that method ran.
func TestStatsCountASkippedCallWhileTheNextMethodRuns(t *testing.T) {
	d := newDispatcher(t)
	w, g := registerHeld(t, d, "w")
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := d.To("w").Do(ctx, Job{From: "skipped", Seq: 1})
		gaveUp <- err
	}()
	waitQueued(t, d, "w", 2)
	stuck := make(chan struct{})
	entered := make(chan struct{})
	w.tell = func(context.Context, string) {
		close(entered)
		<-stuck
	}
	defer close(stuck)
	d.To("w").Tell(context.Background(), "stuck")
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do: err = %v, want context.Canceled", err)
	}
	g.release()
	select {
	case <-entered:
	case <-time.After(patience):
		t.Fatal("the one-way message never started")
	}
	want := runtime.Stats{Queued: 1, Handled: 1, Failed: 1, HighWater: 3}
	await(t, "the skipped call counted as failed", func() {
		deadline := time.Now().Add(time.Second)
		for d.Stats()["w"] != want {
			if time.Now().After(deadline) {
				t.Errorf("Stats = %+v while the one-way method runs, want %+v: the skipped call has ended", d.Stats()["w"], want)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
}
