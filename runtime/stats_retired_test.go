package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// The counters of a recipient outlive its Unregister and its dispatcher's
// Close, so that a program can log its final counts; registering the key
// again starts them anew.
func TestStatsSurviveUnregisterAndClose(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	for _, k := range []string{"a", "b"} {
		if err := d.Register(k, newTestWorker(k)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := d.To("a").Do(ctx, Job{}); err != nil {
			t.Fatal(err)
		}
	}
	d.To("b").Tell(ctx, "x")
	if err := d.Unregister(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if s, ok := d.Stats()["a"]; !ok || s.Handled != 3 || s.Queued != 0 {
		t.Errorf("Stats after Unregister(a) = %+v (present %v), want a's final counts: 3 handled", s, ok)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	stats := d.Stats()
	if stats["a"].Handled != 3 || stats["b"].Handled != 1 || len(stats) != 2 {
		t.Errorf("Stats after Close = %+v, want a's 3 and b's 1 handled", stats)
	}

	d2 := NewWorkerDispatcher()
	defer d2.Close(ctx)
	if err := d2.Register("a", newTestWorker("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.To("a").Do(ctx, Job{}); err != nil {
		t.Fatal(err)
	}
	if err := d2.Unregister(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := d2.Register("a", newTestWorker("a")); err != nil {
		t.Fatal(err)
	}
	if s := d2.Stats()["a"]; s.Handled != 0 {
		t.Errorf("Stats of a registered again = %+v, want counts of its own", s)
	}
}

// The counters Stats keeps of a recipient that an Unregister or a Close
// gave up on count the messages it failed with ErrClosed as failed, not as
// queued: the stop has ended them before it returned. Only the method stuck
// past the stop's deadline is still queued. The fuzz model found Close
// keeping the counters from before it failed them.
func TestStatsKeptAfterGivingUpCountTheFailed(t *testing.T) {
	stops := []struct {
		name string
		stop func(context.Context, *WorkerDispatcher) error
	}{
		{"Unregister", func(ctx context.Context, d *WorkerDispatcher) error { return d.Unregister(ctx, "w") }},
		{"Close", func(ctx context.Context, d *WorkerDispatcher) error { return d.Close(ctx) }},
	}
	for _, stop := range stops {
		t.Run(stop.name, func(t *testing.T) {
			d := newDispatcher(t, runtime.WithDeadLetterHandler(func(runtime.DeadLetter) {}))
			w, held := registerStuck(t, d)
			bg := context.Background()
			var queued []*runtime.Future[Reply]
			for i := range 3 {
				queued = append(queued, d.To("w").DoAsync(bg, Job{Seq: i}))
			}
			d.To("w").Tell(bg, "a")
			d.To("w").Tell(bg, "b")

			ctx, cancel := context.WithCancel(bg)
			cancel()
			if err := stop.stop(ctx, d); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s with a canceled context = %v, want an error wrapping context.Canceled", stop.name, err)
			}
			for i, f := range queued {
				if !f.Resolved() {
					t.Fatalf("call %d queued behind the held one is not resolved once %s returned", i, stop.name)
				}
			}
			if held.Resolved() {
				t.Fatalf("the held call is resolved while its method waits")
			}
			want := runtime.Stats{Queued: 1, Failed: 5, HighWater: 6}
			if s := d.Stats()["w"]; s != want {
				t.Errorf("Stats after %s gave up = %+v, want %+v: the 5 messages it failed, and the held call queued", stop.name, s, want)
			}

			// The held method returns after the stop: the counters kept
			// of the key follow it.
			w.hold.release()
			if _, err := held.Await(bg); err != nil {
				t.Fatalf("the held call: %v", err)
			}
			want = runtime.Stats{Handled: 1, Failed: 5, HighWater: 6}
			await(t, "the kept counters to count the held call handled", func() {
				for d.Stats()["w"] != want {
					time.Sleep(time.Millisecond)
				}
			})
		})
	}
}
