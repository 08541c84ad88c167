package runtime_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Bad input gets an error value: never a panic, never a hang.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	var dead atomic.Pointer[runtime.DeadLetter]
	d := newDispatcher(t, runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) { dead.Store(&l) }))
	if err := d.Register("nil", nil); !errors.Is(err, runtime.ErrNilRecipient) {
		t.Errorf("Register(nil): err = %v, want ErrNilRecipient", err)
	}
	if err := d.Register("w", newTestWorker("w")); err != nil {
		t.Fatal(err)
	}
	if err := d.Register("w", newTestWorker("w2")); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Errorf("duplicate Register: err = %v, want ErrDuplicateKey", err)
	}
	// A nil context is the bad input under test.
	var nilCtx context.Context
	if _, err := d.To("w").Do(nilCtx, Job{}); !errors.Is(err, runtime.ErrNilContext) {
		t.Errorf("Do(nil ctx): err = %v, want ErrNilContext", err)
	}
	if _, err := d.To("w").DoAsync(nilCtx, Job{}).Await(ctx); !errors.Is(err, runtime.ErrNilContext) {
		t.Errorf("DoAsync(nil ctx): err = %v, want ErrNilContext", err)
	}
	d.To("w").Tell(nilCtx, "x")
	if l := dead.Load(); l == nil || !errors.Is(l.Err, runtime.ErrNilContext) {
		t.Errorf("Tell(nil ctx): dead letter = %+v, want ErrNilContext", l)
	}
	if _, err := d.To("w").DoAsync(ctx, Job{}).Await(nilCtx); err != nil && !errors.Is(err, runtime.ErrNilContext) {
		t.Errorf("Await(nil ctx): err = %v, want a result or ErrNilContext", err)
	}
	if err := d.Unregister(nilCtx, "w"); !errors.Is(err, runtime.ErrNilContext) {
		t.Errorf("Unregister(nil ctx): err = %v, want ErrNilContext", err)
	}
	if err := d.Close(nilCtx); !errors.Is(err, runtime.ErrNilContext) {
		t.Errorf("Close(nil ctx): err = %v, want ErrNilContext", err)
	}
	if _, err := d.To("nobody").Do(ctx, Job{}); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("Do(unknown key): err = %v, want ErrNoRecipient", err)
	}
	if err := d.Unregister(ctx, "nobody"); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("Unregister(unknown key): err = %v, want ErrNoRecipient", err)
	}
	closeDispatcher(t, d)
	if err := d.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := d.To("w").Ping(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Ping after Close: err = %v, want ErrClosed", err)
	}
}
