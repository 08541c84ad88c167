package runtime_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// patience bounds every wait in the tests: a guarantee that something does
// not hang is tested by failing when it takes this long.
const patience = 10 * time.Second

// await runs f and fails the test if it has not returned within patience.
func await(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("%s: still waiting after %v", what, patience)
	}
}

// newDispatcher returns a dispatcher that is closed, and must drain, when
// the test ends; cleanups registered later (such as opening gates) run first.
func newDispatcher(t *testing.T, opts ...runtime.Option) *WorkerDispatcher {
	t.Helper()
	d := NewWorkerDispatcher(opts...)
	t.Cleanup(func() { closeDispatcher(t, d) })
	return d
}

// closeDispatcher closes d with a bounded context and fails the test if it
// could not drain.
func closeDispatcher(t *testing.T, d *WorkerDispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// gate blocks a recipient's method until it is opened, and tells the test
// when the method has started.
type gate struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}, 1000), open: make(chan struct{})}
}

// wait is called by the recipient's method.
func (g *gate) wait() {
	g.entered <- struct{}{}
	<-g.open
}

// release lets every waiting and future method through.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// Job sequence numbers that make a gated worker's Do wait or panic.
const (
	seqWait  = -1
	seqPanic = -2
)

// gatedWorker returns a worker whose Do waits at the returned gate for a job
// with Seq seqWait and panics for seqPanic.
func gatedWorker(name string) (*testWorker, *gate) {
	w := newTestWorker(name)
	g := newGate()
	w.do = func(_ context.Context, job Job) error {
		switch job.Seq {
		case seqWait:
			g.wait()
		case seqPanic:
			panic("gated worker told to panic")
		}
		return nil
	}
	return w, g
}

// hold makes the recipient under key busy at its gate, and returns the
// future of the held call once it has started.
func hold(t *testing.T, d *WorkerDispatcher, key string, g *gate) *runtime.Future[Reply] {
	t.Helper()
	f := d.To(key).DoAsync(context.Background(), Job{From: "holder", Seq: seqWait})
	select {
	case <-g.entered:
	case <-time.After(patience):
		t.Fatal("held call never started")
	}
	t.Cleanup(g.release)
	return f
}

// registerHeld registers a gated worker under key and holds it busy.
func registerHeld(t *testing.T, d *WorkerDispatcher, key string, opts ...runtime.RecipientOption) (*testWorker, *gate) {
	t.Helper()
	w, g := gatedWorker(key)
	if err := d.Register(key, w, opts...); err != nil {
		t.Fatal(err)
	}
	hold(t, d, key, g)
	return w, g
}

// eventually waits until cond holds, polling, and fails the test if it does
// not within patience. It is for states a correct runtime reaches at once
// but that another goroutine must get to, such as a recipient going idle.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after %v", what, patience)
		}
		time.Sleep(time.Millisecond)
	}
}

// promptly bounds the wait for an outcome the runtime has already published,
// such as the reply of a call that must have ended by the time Close
// returned, to reach the goroutine waiting for it.
const promptly = time.Second

// overlap counts the methods running in one recipient, and the times a method
// started while another was running: a guarantee that holds with or without
// the race detector.
type overlap struct {
	running  atomic.Int32
	overlaps atomic.Int64
}

// enter is called as a method starts; the function it returns, as it ends.
func (o *overlap) enter() func() {
	if o.running.Add(1) != 1 {
		o.overlaps.Add(1)
	}
	return func() { o.running.Add(-1) }
}

// guardedWorker is a testWorker whose every method counts itself in guard.
type guardedWorker struct {
	*testWorker
	guard *overlap
}

func (w guardedWorker) Do(ctx context.Context, job Job) (Reply, error) {
	defer w.guard.enter()()
	return w.testWorker.Do(ctx, job)
}

func (w guardedWorker) Pair(ctx context.Context, a, b int) (int, string, error) {
	defer w.guard.enter()()
	return w.testWorker.Pair(ctx, a, b)
}

func (w guardedWorker) Ping(ctx context.Context) error {
	defer w.guard.enter()()
	return w.testWorker.Ping(ctx)
}

func (w guardedWorker) Tell(ctx context.Context, note string) {
	defer w.guard.enter()()
	w.testWorker.Tell(ctx, note)
}

// parkDedicated gives the recipient under key, registered
// WithDedicatedGoroutine, its goroutine, and leaves that goroutine parked:
// a call whose context can end goes through the mailbox, which starts it.
func parkDedicated(t *testing.T, d *WorkerDispatcher, key string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := d.To(key).Ping(ctx); err != nil {
		t.Fatalf("Ping to start the dedicated goroutine: %v", err)
	}
	// Long enough for the goroutine to find the mailbox empty and park; too
	// short a wait only makes a test test less, never fail wrongly.
	time.Sleep(20 * time.Millisecond)
}

// deadLetters collects the dead letters of a dispatcher.
type deadLetters struct {
	mu   sync.Mutex
	list []runtime.DeadLetter
}

// handler is the dispatcher's dead-letter handler.
func (dl *deadLetters) handler(l runtime.DeadLetter) {
	dl.mu.Lock()
	dl.list = append(dl.list, l)
	dl.mu.Unlock()
}

// byNote returns the dead letters of Tell, by note.
func (dl *deadLetters) byNote() map[string][]runtime.DeadLetter {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	m := map[string][]runtime.DeadLetter{}
	for _, l := range dl.list {
		if tell, ok := l.Message.(workerTell); ok {
			m[tell.note] = append(m[tell.note], l)
		}
	}
	return m
}

// len returns how many dead letters came.
func (dl *deadLetters) len() int {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	return len(dl.list)
}

// childEnv names, in a child process of the test binary, the test it runs.
const childEnv = "DISPATCHGEN_TEST_CHILD"

// inChild reports whether the calling test runs in a child process that
// inChild started for it. If not, it runs the test again in such a child,
// with env added to the child's environment, fails the test unless the child
// passed it, and reports false: the caller then returns. A test needs a
// child of its own when it sets a GODEBUG setting, or when what it tests
// could, if broken, crash the whole test binary.
func inChild(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*patience)
	defer cancel()
	args := []string{
		"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$",
		"-test.v",
		"-test.count=1",
		"-test.cpu=" + strconv.Itoa(goruntime.GOMAXPROCS(0)),
	}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), env...), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	// -test.v reports the test by name, so a child that ran nothing fails.
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("in a child process with %q: %v\n%s", env, err, out)
	}
	return false
}
