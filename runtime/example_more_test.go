package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// hookedCounter is a counter whose Add first runs onAdd and fails with its
// error, so that each example can make the recipient block, panic or call out
// where it needs to.
type hookedCounter struct {
	counter
	onAdd func(ctx context.Context, n int) error
}

func (c *hookedCounter) Add(ctx context.Context, n int) (int, error) {
	if err := c.onAdd(ctx, n); err != nil {
		return 0, err
	}
	return c.counter.Add(ctx, n)
}

func ExampleFuture_Await() {
	ctx := context.Background()
	d := NewCounterDispatcher()
	defer d.Close(ctx)
	_ = d.Register("a", &counter{})
	_ = d.Register("b", &counter{})

	// Both calls are under way before either result is awaited.
	fa := d.To("a").AddAsync(ctx, 1)
	fb := d.To("b").AddAsync(ctx, 2)
	a, errA := fa.Await(ctx)
	b, errB := fb.Await(ctx)
	fmt.Println(a, errA, b, errB)

	// A resolved future keeps its result for every later Await.
	a, errA = fa.Await(ctx)
	fmt.Println(fa.Resolved(), a, errA)
	// Output:
	// 1 <nil> 2 <nil>
	// true 1 <nil>
}

func ExampleFuture_OnResolve() {
	ctx := context.Background()
	d := NewCounterDispatcher()
	defer d.Close(ctx)
	_ = d.Register("a", &counter{})

	// fn runs on a goroutine of its own, so the example waits for it before
	// it returns; otherwise the output could be cut short.
	done := make(chan struct{})
	d.To("a").AddAsync(ctx, 3).OnResolve(func(n int, err error) {
		fmt.Println("resolved:", n, err)
		close(done)
	})
	<-done
	// Output:
	// resolved: 3 <nil>
}

func ExampleWithFailFast() {
	ctx := context.Background()
	d := NewCounterDispatcher()
	defer d.Close(ctx)
	gate := make(chan struct{})
	slow := &hookedCounter{onAdd: func(context.Context, int) error {
		<-gate
		return nil
	}}
	_ = d.Register("slow", slow, runtime.WithMailboxSize(1), runtime.WithFailFast())
	ref := d.To("slow")

	// The message being handled still takes its place in the mailbox, so
	// while the first Add waits at the gate there is no room for another.
	first := ref.AddAsync(ctx, 1)
	_, err := ref.Add(ctx, 1)
	fmt.Println(errors.Is(err, runtime.ErrMailboxFull))
	fmt.Println("rejected:", d.Stats()["slow"].Rejected)

	close(gate)
	n, err := first.Await(ctx)
	fmt.Println(n, err)
	// Output:
	// true
	// rejected: 1
	// 1 <nil>
}

func ExampleWithDeadLetterHandler() {
	ctx := context.Background()
	d := NewCounterDispatcher(runtime.WithDeadLetterHandler(func(dl runtime.DeadLetter) {
		fmt.Printf("%s[%v].%s not delivered: %v\n", dl.Recipient, dl.Key, dl.Method, dl.Err)
		fmt.Println(errors.Is(dl.Err, runtime.ErrNoRecipient))
	}))
	defer d.Close(ctx)

	// A one-way call has no caller waiting to be told it failed.
	d.To("nobody").Reset(ctx)
	// Output:
	// Counter[nobody].Reset not delivered: dispatch: no recipient registered under that key: Counter[nobody]
	// true
}

func ExampleWithInterceptors() {
	ctx := context.Background()
	logCalls := func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
		err := next(ctx)
		fmt.Printf("%s[%v].%s one-way=%t err=%v\n", info.Recipient, info.Key, info.Method, info.OneWay, err)
		return err
	}
	d := NewCounterDispatcher(runtime.WithInterceptors(logCalls))
	defer d.Close(ctx)
	_ = d.Register("a", &counter{})

	ref := d.To("a")
	_, _ = ref.Add(ctx, 1)
	ref.Reset(ctx)
	// Get waits, and runs after the Reset sent before it, so all three lines
	// are printed before the example returns.
	_, _ = ref.Get(ctx)
	// Output:
	// Counter[a].Add one-way=false err=<nil>
	// Counter[a].Reset one-way=true err=<nil>
	// Counter[a].Get one-way=false err=<nil>
}

func ExamplePanicError() {
	ctx := context.Background()
	d := NewCounterDispatcher()
	defer d.Close(ctx)
	_ = d.Register("a", &hookedCounter{onAdd: func(_ context.Context, n int) error {
		if n < 0 {
			panic(fmt.Sprintf("cannot add %d", n))
		}
		return nil
	}})
	ref := d.To("a")

	_, _ = ref.Add(ctx, 2)
	_, err := ref.Add(ctx, -1)
	var pe *runtime.PanicError
	if errors.As(err, &pe) {
		fmt.Printf("%s[%v].%s: %v\n", pe.Recipient, pe.Key, pe.Method, pe.Value)
	}
	fmt.Println(err)

	// The recipient goes on serving, with the state the panic left it.
	n, err := ref.Get(ctx)
	fmt.Println(n, err)
	// Output:
	// Counter[a].Add: cannot add -1
	// dispatch: Counter[a].Add panicked: cannot add -1
	// 2 <nil>
}

// This example belongs to the package rather than to ErrDeadlock because
// go/doc, and so pkg.go.dev, shows no examples of variables.

// A recipient that calls itself, with the context its method was given, gets
// ErrDeadlock at once instead of waiting for itself forever.
func Example_errDeadlock() {
	ctx := context.Background()
	d := NewCounterDispatcher()
	defer d.Close(ctx)
	self := d.To("a")
	_ = d.Register("a", &hookedCounter{onAdd: func(ctx context.Context, _ int) error {
		_, err := self.Get(ctx)
		return err
	}})

	_, err := self.Add(ctx, 1)
	fmt.Println(err, errors.Is(err, runtime.ErrDeadlock))
	// Output:
	// dispatch: call would deadlock: Counter[a] true
}
