package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// TestStress drives 64 recipients with unsynchronized state from 16
// goroutines at once, with every kind of call, and checks that every reply
// came from the recipient it was sent to and that the counts add up. Under
// -race, any two methods of one recipient running at once are reported.
func TestStress(t *testing.T) {
	const recipients, callers = 64, 16
	calls := 100_000
	if testing.Short() {
		calls = 10_000
	}
	ctx := context.Background()
	var dead atomic.Int64
	d := NewWorkerDispatcher(runtime.WithMailboxSize(64), runtime.WithDeadLetterHandler(func(runtime.DeadLetter) { dead.Add(1) }))
	workers := make([]*testWorker, recipients)
	for i := range workers {
		workers[i] = newTestWorker(fmt.Sprint("r", i))
		if err := d.Register(workers[i].name, workers[i]); err != nil {
			t.Fatal(err)
		}
	}
	var replies, misrouted, failed, told atomic.Int64
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			from := fmt.Sprint("c", c)
			var pending []*runtime.Future[Reply]
			var keys []string
			for i := range calls / callers {
				key := workers[(i*7+c*13)%recipients].name
				ref := d.To(key)
				switch i % 4 {
				case 0, 1:
					r, err := ref.Do(ctx, Job{From: from, Seq: i})
					check(r, err, key, &replies, &misrouted, &failed)
				case 2:
					pending = append(pending, ref.DoAsync(ctx, Job{From: from, Seq: i}))
					keys = append(keys, key)
				case 3:
					ref.Tell(ctx, from)
					told.Add(1)
				}
				if len(pending) == 32 || i == calls/callers-1 {
					for j, f := range pending {
						r, err := f.Await(ctx)
						check(r, err, keys[j], &replies, &misrouted, &failed)
					}
					pending, keys = pending[:0], keys[:0]
				}
			}
		})
	}
	await(t, "callers", wg.Wait)
	stats := drained(t, d)
	closeDispatcher(t, d)

	sent := int64(calls / callers * callers)
	if m := misrouted.Load(); m != 0 {
		t.Errorf("%d replies came from the wrong recipient", m)
	}
	if f := failed.Load(); f != 0 {
		t.Errorf("%d calls failed", f)
	}
	if got := replies.Load() + told.Load(); got != sent {
		t.Errorf("replies %d + one-way %d = %d, want %d sent", replies.Load(), told.Load(), got, sent)
	}
	var handled, statFailed, seen int64
	for _, w := range workers {
		seen += int64(w.seen)
		s := stats[w.name]
		handled += int64(s.Handled)
		statFailed += int64(s.Failed + s.Panics)
	}
	if seen != sent {
		t.Errorf("recipients handled %d messages, want %d", seen, sent)
	}
	if handled != sent || statFailed != 0 || dead.Load() != 0 {
		t.Errorf("stats: handled %d, failed %d, dead letters %d, of %d sent", handled, statFailed, dead.Load(), sent)
	}
}

// drained waits until no recipient of d has anything queued, and returns
// their stats then.
func drained(t *testing.T, d *WorkerDispatcher) map[string]runtime.Stats {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		stats, queued := d.Stats(), 0
		for _, s := range stats {
			queued += s.Queued
		}
		if queued == 0 {
			return stats
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued after %v", queued, patience)
		}
		time.Sleep(time.Millisecond)
	}
}

func check(r Reply, err error, key string, replies, misrouted, failed *atomic.Int64) {
	switch {
	case err != nil:
		failed.Add(1)
	case r.By != key:
		misrouted.Add(1)
	default:
		replies.Add(1)
	}
}

// TestCloseWhileHammering closes the dispatcher while 16 goroutines keep
// calling it. Every call must return, none may hang past the deadline, and
// every call must be accounted for: a reply, or ErrClosed.
func TestCloseWhileHammering(t *testing.T) {
	const recipients, callers = 16, 16
	ctx := context.Background()
	var dead atomic.Int64
	d := NewWorkerDispatcher(runtime.WithMailboxSize(8), runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) {
		if errors.Is(l.Err, runtime.ErrClosed) {
			dead.Add(1)
		}
	}))
	workers := make([]*testWorker, recipients)
	for i := range workers {
		workers[i] = newTestWorker(fmt.Sprint("r", i))
		if err := d.Register(workers[i].name, workers[i]); err != nil {
			t.Fatal(err)
		}
	}
	var sent, replies, closedErrs, other, told atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := workers[(i+c)%recipients].name
				var r Reply
				var err error
				sent.Add(1)
				switch i % 3 {
				case 0:
					r, err = d.To(key).Do(ctx, Job{Seq: i})
				case 1:
					r, err = d.To(key).DoAsync(ctx, Job{Seq: i}).Await(ctx)
				case 2:
					d.To(key).Tell(ctx, "x")
					told.Add(1)
					continue
				}
				switch {
				case err == nil && r.By == key:
					replies.Add(1)
				case errors.Is(err, runtime.ErrClosed):
					closedErrs.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	if err := d.Close(cctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	time.Sleep(10 * time.Millisecond) // calls after Close must fail, not hang
	close(stop)
	await(t, "callers after Close", wg.Wait)

	if o := other.Load(); o != 0 {
		t.Errorf("%d calls ended with neither a correct reply nor ErrClosed", o)
	}
	if closedErrs.Load() == 0 || replies.Load() == 0 {
		t.Errorf("replies %d, ErrClosed %d: the test did not overlap Close with calls", replies.Load(), closedErrs.Load())
	}
	seen := int64(0)
	for _, w := range workers {
		seen += int64(w.seen)
	}
	if want := replies.Load() + told.Load() - dead.Load(); seen != want {
		t.Errorf("recipients handled %d, want %d: replies %d + one-way %d - dead letters %d", seen, want, replies.Load(), told.Load(), dead.Load())
	}
	if got := replies.Load() + closedErrs.Load() + told.Load(); got != sent.Load() {
		t.Errorf("accounted for %d calls of %d sent", got, sent.Load())
	}
}
