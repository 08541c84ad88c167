package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// startServer runs an embedded server for one test.
func startServer(t testing.TB, cfg embedded.Config) *embedded.Server {
	t.Helper()
	srv, err := embedded.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// connect opens a connection of its own to srv, in-process or over TCP.
func connect(t testing.TB, srv *embedded.Server, tcp bool, opts ...nats.Option) *nats.Conn {
	t.Helper()
	var nc *nats.Conn
	var err error
	if tcp {
		nc, err = srv.ConnectTCP(opts...)
	} else {
		nc, err = srv.Connect(opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// startNode makes a node on a connection of its own.
func startNode(t testing.TB, srv *embedded.Server, opts ...Option) *Node {
	t.Helper()
	return nodeOn(t, connect(t, srv, false), opts...)
}

func nodeOn(t testing.TB, nc *nats.Conn, opts ...Option) *Node {
	t.Helper()
	n, err := NewNode(nc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			t.Errorf("node close: %v", err)
		}
	})
	return n
}

// The arguments and results of the fake interface Echo.
type echoArgs struct {
	N    int
	Text string
}

type echoResult struct {
	Key      string
	KeyBytes []byte // the key as it is: JSON writes invalid UTF-8 in a string as U+FFFD
	Node     string
	N        int
	Text     string
}

var echoMethods = []runtime.MethodInfo{
	{Name: "Echo"},               // returns echoResult: who served it, with what
	{Name: "Note", OneWay: true}, // records its N for the test
	{Name: "Fail"},               // returns the error its Text names
	{Name: "Wait"},               // blocks until the test or the context ends it
}

// handler serves one method of the fake.
type handler func(ctx context.Context, key string, in *runtime.Inbound) (any, error)

// fakeService stands in for a dispatcher: each registered key has a
// mailbox and a goroutine of its own, as the runtime would give it, and
// Serve only queues.
type fakeService struct {
	name     string
	iface    string
	methods  []runtime.MethodInfo
	handlers map[string]handler

	mu      sync.Mutex
	keys    map[string]*fakeRecipient
	revokes []revokeEvent
	notes   map[string][]int
	noteCh  chan struct{}
	// release, closed by close, ends every Wait.
	release     chan struct{}
	releaseOnce sync.Once
}

type revokeEvent struct {
	at   time.Time
	keys []string
}

type fakeRecipient struct {
	q       chan *runtime.Inbound
	done    chan struct{}
	handled int
}

func newFake(name string) *fakeService {
	f := &fakeService{
		name:    name,
		iface:   "Echo",
		methods: echoMethods,
		keys:    make(map[string]*fakeRecipient),
		notes:   make(map[string][]int),
		noteCh:  make(chan struct{}, 1),
		release: make(chan struct{}),
	}
	f.handlers = map[string]handler{
		"Echo": f.echo,
		"Note": f.note,
		"Fail": func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
			var a echoArgs
			if err := in.Decode(&a); err != nil {
				return nil, err
			}
			return nil, failure(a.Text)
		},
		"Wait": func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-f.release:
				return nil, nil
			}
		},
	}
	return f
}

func (f *fakeService) echo(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
	var a echoArgs
	if err := in.Decode(&a); err != nil {
		return nil, err
	}
	return &echoResult{Key: key, KeyBytes: []byte(key), Node: f.name, N: a.N, Text: a.Text}, nil
}

func (f *fakeService) note(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
	var a echoArgs
	if err := in.Decode(&a); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.notes[key] = append(f.notes[key], a.N)
	f.mu.Unlock()
	select {
	case f.noteCh <- struct{}{}:
	default:
	}
	return nil, nil
}

// failure returns the error a Fail call names.
func failure(name string) error {
	switch name {
	case "panic":
		panic("boom")
	case "unlisted":
		return errors.New("something unlisted went wrong")
	case "listed":
		return fmt.Errorf("while serving: %w", errListed)
	}
	for _, s := range sentinels {
		if s.name == name {
			return fmt.Errorf("remote method: %w", s.err)
		}
	}
	return errors.New("unknown failure " + name)
}

var errListed = errors.New("a listed application error")

func (f *fakeService) Interface() string             { return f.iface }
func (f *fakeService) Methods() []runtime.MethodInfo { return f.methods }

// register gives key a mailbox of size n, as Register does before Claim.
func (f *fakeService) register(key string, n int) {
	r := &fakeRecipient{q: make(chan *runtime.Inbound, n), done: make(chan struct{})}
	f.mu.Lock()
	f.keys[key] = r
	f.mu.Unlock()
	go f.serveLoop(key, r)
}

func (f *fakeService) serveLoop(key string, r *fakeRecipient) {
	defer close(r.done)
	for in := range r.q {
		f.run(key, in)
		f.mu.Lock()
		r.handled++
		f.mu.Unlock()
	}
}

func (f *fakeService) run(key string, in *runtime.Inbound) {
	h := f.handlers[in.Method]
	ctx := in.Ctx
	if in.OneWay {
		ctx = context.WithoutCancel(ctx)
	}
	result, err := func() (result any, err error) {
		defer func() {
			if v := recover(); v != nil {
				err = &runtime.PanicError{Recipient: f.iface, Key: key, Method: in.Method, Value: v, Stack: []byte("fake stack")}
			}
		}()
		return h(ctx, key, in)
	}()
	in.Reply(result, err)
}

// unregister stops key's recipient, after what is queued.
func (f *fakeService) unregister(key string) {
	f.mu.Lock()
	r := f.keys[key]
	delete(f.keys, key)
	f.mu.Unlock()
	if r != nil {
		close(r.q)
		<-r.done
	}
}

func (f *fakeService) Serve(in *runtime.Inbound) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.keys[in.Key]
	if r == nil {
		in.Reply(nil, fmt.Errorf("fake: %w", runtime.ErrNoRecipient))
		return
	}
	select {
	case r.q <- in:
	default:
		in.Reply(nil, fmt.Errorf("fake: %w", runtime.ErrMailboxFull))
	}
}

func (f *fakeService) Revoke(keys []string) {
	f.mu.Lock()
	f.revokes = append(f.revokes, revokeEvent{at: time.Now(), keys: keys})
	var rs []*fakeRecipient
	for _, k := range keys {
		if r := f.keys[k]; r != nil {
			rs = append(rs, r)
			delete(f.keys, k)
		}
	}
	f.mu.Unlock()
	for _, r := range rs {
		close(r.q)
	}
}

func (f *fakeService) Stats() map[string]runtime.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]runtime.Stats, len(f.keys))
	for k, r := range f.keys {
		m[k] = runtime.Stats{Queued: len(r.q), Handled: uint64(r.handled)}
	}
	return m
}

// holds reports whether key is registered and not revoked.
func (f *fakeService) holds(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[key] != nil
}

// close stops every recipient, as a dispatcher's Close does.
func (f *fakeService) close() {
	f.releaseOnce.Do(func() { close(f.release) })
	f.mu.Lock()
	keys := make([]string, 0, len(f.keys))
	for k := range f.keys {
		keys = append(keys, k)
	}
	f.mu.Unlock()
	for _, k := range keys {
		f.unregister(k)
	}
}

// bind binds a fake to n and registers and claims keys on it.
func bind(t testing.TB, n *Node, f *fakeService, keys ...string) runtime.Link {
	t.Helper()
	l, err := n.Bind(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	for _, k := range keys {
		f.register(k, 1024)
		if err := l.Claim(context.Background(), k); err != nil {
			t.Fatalf("claim %q: %v", k, err)
		}
	}
	return l
}

// call makes a synchronous remote call through l.
func call(ctx context.Context, l runtime.Link, key, method string, args, result any, chain ...string) error {
	done := make(chan error, 1)
	l.Call(&runtime.RemoteCall{
		Ctx: ctx, Key: key, Method: method, Args: args, Result: result, Chain: chain,
		Done: func(err error) { done <- err },
	})
	return <-done
}

// send sends a one-way message through l; its refusals go to failed.
func send(ctx context.Context, l runtime.Link, key, method string, args any, failed func(error)) {
	l.Send(&runtime.RemoteCall{Ctx: ctx, Key: key, Method: method, Args: args, Done: failed})
}

func timeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countGoroutines() int { return goruntime.NumGoroutine() }
