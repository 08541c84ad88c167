package runtime_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Counter is the recipient interface. In a program it would carry a
// //dispatch:recipient comment, and dispatchgen would write the dispatcher.
type Counter interface {
	Add(ctx context.Context, n int) (int, error)
	Get(ctx context.Context) (int, error)
	Reset(ctx context.Context)
}

// counter has no lock: its dispatcher runs one of its methods at a time.
type counter struct{ n int }

func (c *counter) Add(_ context.Context, n int) (int, error) { c.n += n; return c.n, nil }
func (c *counter) Get(context.Context) (int, error)          { return c.n, nil }
func (c *counter) Reset(context.Context)                     { c.n = 0 }

// What follows, up to Example, is the code dispatchgen generates for
// Counter.

// CounterDispatcher routes calls to the Counter registered under each key. Each recipient
// has its own mailbox, served by one goroutine at a time.
type CounterDispatcher struct {
	router    *runtime.Router[string]
	addPool   runtime.Pool[counterAdd]
	getPool   runtime.Pool[counterGet]
	resetLane runtime.Lane[counterReset]
}

// NewCounterDispatcher returns a dispatcher with no recipients.
func NewCounterDispatcher(opts ...runtime.Option) *CounterDispatcher {
	return &CounterDispatcher{router: runtime.NewRouter[string]("Counter", opts...)}
}

// Register gives impl its own mailbox under key. It fails with runtime.ErrDuplicateKey
// if the key is taken, runtime.ErrNilRecipient if impl is nil, and runtime.ErrClosed
// after Close.
func (d *CounterDispatcher) Register(key string, impl Counter, opts ...runtime.RecipientOption) error {
	if impl == nil {
		return d.router.Register(key, nil, opts...)
	}
	return d.router.Register(key, &impl, opts...)
}

// Unregister removes the recipient under key: new calls to it fail with
// runtime.ErrNoRecipient, and what is queued is handled until ctx ends, after which
// the rest fails with runtime.ErrClosed.
func (d *CounterDispatcher) Unregister(ctx context.Context, key string) error {
	return d.router.Unregister(ctx, key)
}

// Close stops every recipient: new calls fail with runtime.ErrClosed, and what is
// queued is handled until ctx ends, after which the rest fails with runtime.ErrClosed.
func (d *CounterDispatcher) Close(ctx context.Context) error {
	return d.router.Close(ctx)
}

// Flush waits until every message sent to key before it was called has ended,
// handled, failed or given to the dead-letter handler, or until ctx ends.
func (d *CounterDispatcher) Flush(ctx context.Context, key string) error {
	return d.router.Flush(ctx, key)
}

// Keys returns the keys registered now, in no particular order.
func (d *CounterDispatcher) Keys() []string {
	return d.router.Keys()
}

// Stats returns the counters of every recipient registered now, and the last
// counters of the keys unregistered or closed since, until they are registered again.
func (d *CounterDispatcher) Stats() map[string]runtime.Stats {
	return d.router.Stats()
}

// To returns the CounterRef of key: each of its calls runs on the recipient registered
// under key when the call is made.
func (d *CounterDispatcher) To(key string) CounterRef {
	return CounterRef{
		d:    d,
		dest: d.router.Dest(key),
	}
}

// CounterRef implements Counter: each call runs on the recipient registered under its key
// when the call is made, and waits for its reply; a call to a method without
// results does not wait. The zero value is not usable: get one from To.
type CounterRef struct {
	d    *CounterDispatcher
	dest runtime.Dest[string]
}

var _ Counter = CounterRef{}

// Add calls Add on the recipient and waits for its result.
func (r CounterRef) Add(ctx context.Context, n int) (int, error) {
	m := r.d.addPool.Get()
	m.n = n
	return runtime.Call(ctx, r.dest, m)
}

// AddAsync calls Add on the recipient and returns at once a Future of its result.
func (r CounterRef) AddAsync(ctx context.Context, n int) *runtime.Future[int] {
	return runtime.Async(ctx, r.dest, &counterAdd{n: n})
}

// Get calls Get on the recipient and waits for its result.
func (r CounterRef) Get(ctx context.Context) (int, error) {
	m := r.d.getPool.Get()
	return runtime.Call(ctx, r.dest, m)
}

// GetAsync calls Get on the recipient and returns at once a Future of its result.
func (r CounterRef) GetAsync(ctx context.Context) *runtime.Future[int] {
	return runtime.Async(ctx, r.dest, &counterGet{})
}

// Reset sends Reset to the recipient without waiting for it to be handled.
func (r CounterRef) Reset(ctx context.Context) {
	runtime.Send(ctx, r.dest, &r.d.resetLane, counterReset{})
}

type counterAdd struct {
	runtime.Request[int]
	n int
}

func (*counterAdd) Method() string {
	return "Add"
}

func (m *counterAdd) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Counter)).Add(ctx, m.n))
}

type counterGet struct {
	runtime.Request[int]
}

func (*counterGet) Method() string {
	return "Get"
}

func (m *counterGet) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Counter)).Get(ctx))
}

type counterReset struct{}

func (counterReset) Method() string {
	return "Reset"
}

func (m counterReset) Run(ctx context.Context, impl any) {
	(*impl.(*Counter)).Reset(ctx)
}

func Example() {
	ctx := context.Background()
	d := NewCounterDispatcher()
	keys := []string{"apples", "pears"}
	for _, key := range keys {
		if err := d.Register(key, &counter{}); err != nil {
			fmt.Println(err)
			return
		}
	}
	apples, pears := d.To("apples"), d.To("pears")

	// Ten goroutines share both counters, which need no lock of their own.
	// The calls cannot fail: both keys are registered and d is open.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, _ = apples.Add(ctx, 1)
			_, _ = pears.Add(ctx, 2)
		})
	}
	wg.Wait()

	// AddAsync does not wait for the Add: the caller is free until it needs
	// the result.
	f := apples.AddAsync(ctx, 5)
	n, err := f.Await(ctx)
	fmt.Println("apples:", n, err)

	// Reset does not wait, but a later call from this goroutine runs after it.
	pears.Reset(ctx)
	n, err = pears.Get(ctx)
	fmt.Println("pears after Reset:", n, err)

	stats := d.Stats()
	for _, key := range keys {
		s := stats[key]
		fmt.Printf("%s: %d handled, %d queued, %d panics\n", key, s.Handled, s.Queued, s.Panics)
	}

	if err := d.Close(ctx); err != nil {
		fmt.Println(err)
	}
	_, err = apples.Get(ctx)
	fmt.Println(err)
	// Output:
	// apples: 15 <nil>
	// pears after Reset: 0 <nil>
	// apples: 11 handled, 0 queued, 0 panics
	// pears: 12 handled, 0 queued, 0 panics
	// dispatch: recipient closed: Counter dispatcher
}
