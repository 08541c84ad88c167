package runtime_test

// This file is the code dispatchgen generates for the Worker interface of
// worker_test.go (dispatchgen reads no test files), so that the runtime's
// tests drive it through exactly the API generated code uses. The root
// package's TestRuntimeCopies checks it, and regenerates it with -update.

import (
	"context"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// WorkerDispatcher routes calls to the Worker registered under each key. Each recipient
// has its own mailbox, served by one goroutine at a time.
type WorkerDispatcher struct {
	router   *runtime.Router[string]
	doPool   runtime.Pool[workerDo]
	pairPool runtime.Pool[workerPair]
	pingPool runtime.Pool[workerPing]
	tellLane runtime.Lane[workerTell]
}

// NewWorkerDispatcher returns a dispatcher with no recipients.
func NewWorkerDispatcher(opts ...runtime.Option) *WorkerDispatcher {
	return &WorkerDispatcher{router: runtime.NewRouter[string]("Worker", opts...)}
}

// Register gives impl its own mailbox under key. It fails with runtime.ErrDuplicateKey
// if the key is taken, runtime.ErrNilRecipient if impl is nil, and runtime.ErrClosed
// after Close.
func (d *WorkerDispatcher) Register(key string, impl Worker, opts ...runtime.RecipientOption) error {
	if impl == nil {
		return d.router.Register(key, nil, opts...)
	}
	return d.router.Register(key, &impl, opts...)
}

// Unregister removes the recipient under key: new calls to it fail with
// runtime.ErrNoRecipient, and what is queued is handled until ctx ends, after which
// the rest fails with runtime.ErrClosed.
func (d *WorkerDispatcher) Unregister(ctx context.Context, key string) error {
	return d.router.Unregister(ctx, key)
}

// Close stops every recipient: new calls fail with runtime.ErrClosed, and what is
// queued is handled until ctx ends, after which the rest fails with runtime.ErrClosed.
func (d *WorkerDispatcher) Close(ctx context.Context) error {
	return d.router.Close(ctx)
}

// Flush waits until every message sent to key before it was called has ended,
// handled, failed or given to the dead-letter handler, or until ctx ends.
func (d *WorkerDispatcher) Flush(ctx context.Context, key string) error {
	return d.router.Flush(ctx, key)
}

// Keys returns the keys registered now, in no particular order.
func (d *WorkerDispatcher) Keys() []string {
	return d.router.Keys()
}

// Stats returns the counters of every recipient registered now, and the last
// counters of the keys unregistered or closed since, until they are registered again.
func (d *WorkerDispatcher) Stats() map[string]runtime.Stats {
	return d.router.Stats()
}

// To returns the WorkerRef of key: each of its calls runs on the recipient registered
// under key when the call is made.
func (d *WorkerDispatcher) To(key string) WorkerRef {
	return WorkerRef{
		d:    d,
		dest: d.router.Dest(key),
	}
}

// WorkerRef implements Worker: each call runs on the recipient registered under its key
// when the call is made, and waits for its reply; a call to a method without
// results does not wait. The zero value is not usable: get one from To.
type WorkerRef struct {
	d    *WorkerDispatcher
	dest runtime.Dest[string]
}

var _ Worker = WorkerRef{}

// Do calls Do on the recipient and waits for its result.
func (r WorkerRef) Do(ctx context.Context, job Job) (Reply, error) {
	m := r.d.doPool.Get()
	m.job = job
	return runtime.Call(ctx, r.dest, m)
}

// DoAsync calls Do on the recipient and returns at once a Future of its result.
func (r WorkerRef) DoAsync(ctx context.Context, job Job) *runtime.Future[Reply] {
	return runtime.Async(ctx, r.dest, &workerDo{job: job})
}

// Pair calls Pair on the recipient and waits for its results.
func (r WorkerRef) Pair(ctx context.Context, a int, b int) (int, string, error) {
	m := r.d.pairPool.Get()
	m.a, m.b = a, b
	res, err := runtime.Call(ctx, r.dest, m)
	return res.Sum, res.Label, err
}

// PairAsync calls Pair on the recipient and returns at once a Future of its result.
func (r WorkerRef) PairAsync(ctx context.Context, a int, b int) *runtime.Future[WorkerPairResult] {
	return runtime.Async(ctx, r.dest, &workerPair{
		a: a,
		b: b,
	})
}

// Ping calls Ping on the recipient and waits for it to return.
func (r WorkerRef) Ping(ctx context.Context) error {
	m := r.d.pingPool.Get()
	_, err := runtime.Call(ctx, r.dest, m)
	return err
}

// PingAsync calls Ping on the recipient and returns at once a Future of its result.
func (r WorkerRef) PingAsync(ctx context.Context) *runtime.Future[struct{}] {
	return runtime.Async(ctx, r.dest, &workerPing{})
}

// Tell sends Tell to the recipient without waiting for it to be handled.
func (r WorkerRef) Tell(ctx context.Context, note string) {
	runtime.Send(ctx, r.dest, &r.d.tellLane, workerTell{note: note})
}

type workerDo struct {
	runtime.Request[Reply]
	job Job
}

func (*workerDo) Method() string {
	return "Do"
}

func (m *workerDo) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Worker)).Do(ctx, m.job))
}

// WorkerPairResult holds the results of Worker.Pair, for its Future.
type WorkerPairResult struct {
	Sum   int
	Label string
}

type workerPair struct {
	runtime.Request[WorkerPairResult]
	a int
	b int
}

func (*workerPair) Method() string {
	return "Pair"
}

func (m *workerPair) Run(ctx context.Context, impl any) {
	r0, r1, err := (*impl.(*Worker)).Pair(ctx, m.a, m.b)
	m.Resolve(WorkerPairResult{
		Label: r1,
		Sum:   r0,
	}, err)
}

type workerPing struct {
	runtime.Request[struct{}]
}

func (*workerPing) Method() string {
	return "Ping"
}

func (m *workerPing) Run(ctx context.Context, impl any) {
	m.Resolve(struct{}{}, (*impl.(*Worker)).Ping(ctx))
}

type workerTell struct {
	note string
}

func (workerTell) Method() string {
	return "Tell"
}

func (m workerTell) Run(ctx context.Context, impl any) {
	(*impl.(*Worker)).Tell(ctx, m.note)
}
