package runtime_test

import (
	"context"
	"errors"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// seqGoexit makes a goexitWorker's Do call runtime.Goexit.
const seqGoexit = -3

func goexitWorker() *testWorker {
	w := newTestWorker("w")
	w.do = func(_ context.Context, job Job) error {
		if job.Seq == seqGoexit {
			goruntime.Goexit()
		}
		return nil
	}
	return w
}

// A method that ends its goroutine with runtime.Goexit (as t.FailNow does)
// must not take the recipient's mailbox with it.
func TestGoexitOnRecipientGoroutine(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t)
	if err := d.Register("w", goexitWorker()); err != nil {
		t.Fatal(err)
	}
	f := d.To("w").DoAsync(ctx, Job{Seq: seqGoexit})
	behind := d.To("w").DoAsync(ctx, Job{Seq: 1})
	await(t, "futures", func() {
		if _, err := f.Await(ctx); err == nil || !strings.Contains(err.Error(), "Goexit") {
			t.Errorf("err = %v, want a report of runtime.Goexit", err)
		}
		if _, err := behind.Await(ctx); err != nil {
			t.Errorf("call queued behind the Goexit: %v", err)
		}
	})
}

func TestGoexitOnCallerGoroutine(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t)
	if err := d.Register("w", goexitWorker()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.To("w").Do(ctx, Job{Seq: seqGoexit}) // runs inline: this goroutine ends here
		t.Error("Do returned after runtime.Goexit")
	}()
	<-done
	await(t, "call after Goexit", func() {
		if _, err := d.To("w").Do(ctx, Job{}); err != nil {
			t.Errorf("call after Goexit: %v", err)
		}
	})
}

// A recipient may unregister itself, or close its dispatcher, from its own
// method: neither waits for the recipient's own mailbox, which drains once
// the method returns.
func TestStopFromOwnMethod(t *testing.T) {
	for _, op := range []string{"unregister", "close"} {
		t.Run(op, func(t *testing.T) {
			ctx := context.Background()
			d := NewWorkerDispatcher()
			w := newTestWorker("w")
			w.do = func(ctx context.Context, job Job) error {
				if job.Seq != 1 {
					return nil
				}
				if op == "close" {
					return d.Close(ctx)
				}
				return d.Unregister(ctx, "w")
			}
			if err := d.Register("w", w); err != nil {
				t.Fatal(err)
			}
			await(t, op+" from own method", func() {
				if _, err := d.To("w").Do(ctx, Job{Seq: 1}); err != nil {
					t.Errorf("%s: %v", op, err)
				}
			})
			want := runtime.ErrNoRecipient
			if op == "close" {
				want = runtime.ErrClosed
			}
			if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, want) {
				t.Errorf("call after %s: err = %v, want %v", op, err, want)
			}
			closeDispatcher(t, d)
		})
	}
}

// goroutineID returns the id of the calling goroutine, from its stack trace.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:goruntime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

// goroutineAlive reports whether the goroutine with id exists.
func goroutineAlive(id string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:goruntime.Stack(buf, true)]
	return strings.Contains(string(buf), "goroutine "+id+" [")
}

// A recipient registered WithDedicatedGoroutine is served by one goroutine
// across idle periods, which Unregister ends.
func TestDedicatedGoroutine(t *testing.T) {
	d := newDispatcher(t)
	w := newTestWorker("w")
	ids := make(chan string, 10)
	w.do = func(context.Context, Job) error {
		ids <- goroutineID()
		return nil
	}
	if err := d.Register("w", w, runtime.WithDedicatedGoroutine()); err != nil {
		t.Fatal(err)
	}
	// A call with a context that can end always goes through the mailbox.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var first string
	for i := range 3 {
		if _, err := d.To("w").Do(ctx, Job{Seq: i}); err != nil {
			t.Fatal(err)
		}
		id := <-ids
		if i == 0 {
			first = id
		} else if id != first {
			t.Fatalf("call %d ran on goroutine %s, the first on %s", i, id, first)
		}
		// Long enough for the goroutine to find the mailbox empty, linger
		// and park, where without the option it would end.
		time.Sleep(20 * time.Millisecond)
	}
	// One-way messages wake it too, and a call run on its caller's goroutine
	// leaves it parked.
	d.To("w").Tell(ctx, "note")
	if _, err := d.To("w").Do(context.Background(), Job{Seq: 3}); err != nil {
		t.Fatal(err)
	}
	<-ids
	if err := d.Unregister(context.Background(), "w"); err != nil {
		t.Fatal(err)
	}
	await(t, "the dedicated goroutine to end", func() {
		for goroutineAlive(first) {
			time.Sleep(time.Millisecond)
		}
	})
	if len(w.notes) != 1 {
		t.Errorf("notes = %q, want one", w.notes)
	}
}
