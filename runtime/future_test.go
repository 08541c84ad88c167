package runtime_test

import (
	"context"
	"errors"
	"testing"
)

// TestFutureResolvesEveryKindOfWaiter gives one future every kind of waiter
// at once, before it resolves (Done, OnResolve, several Awaits with contexts
// that can end, two of them given up) and after (the same again), and
// checks that each sees the one result exactly once.
func TestFutureResolvesEveryKindOfWaiter(t *testing.T) {
	d := newDispatcher(t)
	_, g := registerHeld(t, d, "w")
	f := d.To("w").DoAsync(context.Background(), Job{From: "async", Seq: 1})
	waitQueued(t, d, "w", 2)

	type outcome struct {
		r   Reply
		err error
	}
	const awaits, givenUp = 4, 2
	got := make(chan outcome, awaits+4)
	cancels := make([]context.CancelFunc, awaits)
	for i := range awaits {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		go func() {
			r, err := f.Await(ctx)
			got <- outcome{r, err}
		}()
	}
	done := f.Done()
	f.OnResolve(func(r Reply, err error) { got <- outcome{r, err} })
	f.OnResolve(func(r Reply, err error) { got <- outcome{r, err} })
	for _, cancel := range cancels[:givenUp] {
		cancel()
	}
	for range givenUp {
		await(t, "an Await whose context ended", func() {
			if o := <-got; !errors.Is(o.err, context.Canceled) {
				t.Errorf("Await with a canceled context = %+v, want context.Canceled", o)
			}
		})
	}
	select {
	case <-done:
		t.Fatal("Done closed before the call ran")
	default:
	}

	g.release()
	want := outcome{r: Reply{By: "w", Job: Job{From: "async", Seq: 1}, Seen: 1}}
	for i := range awaits - givenUp + 2 {
		await(t, "a waiter of the resolved future", func() {
			if o := <-got; o != want {
				t.Errorf("waiter %d got %+v, want %+v", i, o, want)
			}
		})
	}
	await(t, "Done before the future resolved", func() { <-done })
	await(t, "Done after", func() { <-f.Done() })
	f.OnResolve(func(r Reply, err error) { got <- outcome{r, err} })
	await(t, "OnResolve after", func() {
		if o := <-got; o != want {
			t.Errorf("OnResolve after = %+v, want %+v", o, want)
		}
	})
	if r, err := f.Await(cancelable(t)); (outcome{r, err}) != want {
		t.Errorf("Await after = %+v, %v, want %+v", r, err, want)
	}
	for _, cancel := range cancels {
		cancel()
	}
	select {
	case o := <-got:
		t.Errorf("a waiter was given a second result: %+v", o)
	default:
	}
}

// cancelable returns a context that can end, canceled when the test ends.
func cancelable(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
