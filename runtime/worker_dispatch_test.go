package runtime_test

// This file is a dispatcher for the Worker interface written by hand, before
// the generator existed, to prove the runtime's API by the code that uses it.
// What dispatchgen generates differs in small ways (it keeps the pools in
// the dispatcher, which generic recipients need): see the golden files of
// cmd/dispatchgen/testdata/cases.

import (
	"context"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// WorkerDispatcher routes calls to the Worker registered under each key.
type WorkerDispatcher struct {
	router *runtime.Router[string, Worker]
}

// NewWorkerDispatcher returns a dispatcher with no recipients.
func NewWorkerDispatcher(opts ...runtime.Option) *WorkerDispatcher {
	return &WorkerDispatcher{router: runtime.NewRouter[string, Worker]("Worker", opts...)}
}

// Register gives impl its own mailbox under key.
func (d *WorkerDispatcher) Register(key string, impl Worker, opts ...runtime.RecipientOption) error {
	return d.router.Register(key, impl, opts...)
}

// Unregister drains and stops the recipient under key.
func (d *WorkerDispatcher) Unregister(ctx context.Context, key string) error {
	return d.router.Unregister(ctx, key)
}

// Close drains and stops every recipient.
func (d *WorkerDispatcher) Close(ctx context.Context) error {
	return d.router.Close(ctx)
}

// Keys returns the keys registered now.
func (d *WorkerDispatcher) Keys() []string {
	return d.router.Keys()
}

// Stats returns the counters of every recipient registered now.
func (d *WorkerDispatcher) Stats() map[string]runtime.Stats {
	return d.router.Stats()
}

// To returns a Worker whose calls run on the recipient under key.
func (d *WorkerDispatcher) To(key string) WorkerRef {
	return WorkerRef{router: d.router, key: key}
}

// WorkerRef is a Worker whose every call runs on the recipient registered
// under its key when the call is made.
type WorkerRef struct {
	router *runtime.Router[string, Worker]
	key    string
}

var _ Worker = WorkerRef{}

// WorkerPairResult holds the results of Worker.Pair.
type WorkerPairResult struct {
	Sum   int
	Label string
}

type workerDo struct {
	runtime.Request[Reply]
	job Job
}

func (*workerDo) Method() string { return "Do" }

func (m *workerDo) Run(ctx context.Context, impl Worker) {
	m.Resolve(impl.Do(ctx, m.job))
}

var workerDoPool runtime.Pool[workerDo]

// Do calls Do on the recipient and waits for its result.
func (r WorkerRef) Do(ctx context.Context, job Job) (Reply, error) {
	m := workerDoPool.Get()
	m.job = job
	return runtime.Call(ctx, r.router, r.key, m)
}

// DoAsync calls Do on the recipient and returns at once.
func (r WorkerRef) DoAsync(ctx context.Context, job Job) *runtime.Future[Reply] {
	return runtime.Async(ctx, r.router, r.key, &workerDo{job: job})
}

type workerPair struct {
	runtime.Request[WorkerPairResult]
	a, b int
}

func (*workerPair) Method() string { return "Pair" }

func (m *workerPair) Run(ctx context.Context, impl Worker) {
	sum, label, err := impl.Pair(ctx, m.a, m.b)
	m.Resolve(WorkerPairResult{Sum: sum, Label: label}, err)
}

var workerPairPool runtime.Pool[workerPair]

// Pair calls Pair on the recipient and waits for its results.
func (r WorkerRef) Pair(ctx context.Context, a, b int) (int, string, error) {
	m := workerPairPool.Get()
	m.a, m.b = a, b
	res, err := runtime.Call(ctx, r.router, r.key, m)
	return res.Sum, res.Label, err
}

// PairAsync calls Pair on the recipient and returns at once.
func (r WorkerRef) PairAsync(ctx context.Context, a, b int) *runtime.Future[WorkerPairResult] {
	return runtime.Async(ctx, r.router, r.key, &workerPair{a: a, b: b})
}

type workerPing struct {
	runtime.Request[struct{}]
}

func (*workerPing) Method() string { return "Ping" }

func (m *workerPing) Run(ctx context.Context, impl Worker) {
	m.Resolve(struct{}{}, impl.Ping(ctx))
}

var workerPingPool runtime.Pool[workerPing]

// Ping calls Ping on the recipient and waits for it.
func (r WorkerRef) Ping(ctx context.Context) error {
	_, err := runtime.Call(ctx, r.router, r.key, workerPingPool.Get())
	return err
}

// PingAsync calls Ping on the recipient and returns at once.
func (r WorkerRef) PingAsync(ctx context.Context) *runtime.Future[struct{}] {
	return runtime.Async(ctx, r.router, r.key, &workerPing{})
}

type workerTell struct {
	runtime.OneWay
	note string
}

func (*workerTell) Method() string { return "Tell" }

func (m *workerTell) Run(ctx context.Context, impl Worker) {
	impl.Tell(ctx, m.note)
}

var workerTellPool runtime.Pool[workerTell]

// Tell sends Tell to the recipient without waiting for it.
func (r WorkerRef) Tell(ctx context.Context, note string) {
	m := workerTellPool.Get()
	m.note = note
	runtime.Send(ctx, r.router, r.key, m)
}
