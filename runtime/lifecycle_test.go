package runtime_test

import (
	"context"
	"errors"
	goruntime "runtime"
	"strings"
	"testing"

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
