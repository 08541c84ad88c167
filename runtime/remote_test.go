package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// hub is a runtime.Transport that connects dispatchers within one test, as
// if each were another process: the owner of each key, and calls carried by
// value, their arguments and results through JSON. It checks the seam from
// the runtime's side; natsdispatch's tests check a real one.
type hub struct {
	mu     sync.Mutex
	owners map[string]*hubLink // by Interface + "." + key
}

func newHub() *hub { return &hub{owners: map[string]*hubLink{}} }

func (h *hub) Bind(svc runtime.Service) (runtime.Link, error) {
	return &hubLink{h: h, svc: svc}, nil
}

type hubLink struct {
	h   *hub
	svc runtime.Service
}

func (l *hubLink) name(key string) string { return l.svc.Interface() + "." + key }

func (l *hubLink) Claim(_ context.Context, key string) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	if o := l.h.owners[l.name(key)]; o != nil && o != l {
		return fmt.Errorf("hub: %s: %w", l.name(key), runtime.ErrDuplicateKey)
	}
	l.h.owners[l.name(key)] = l
	return nil
}

func (l *hubLink) Release(_ context.Context, key string) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	if l.h.owners[l.name(key)] == l {
		delete(l.h.owners, l.name(key))
	}
	return nil
}

func (l *hubLink) Close(context.Context) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	for k, o := range l.h.owners {
		if o == l {
			delete(l.h.owners, k)
		}
	}
	return nil
}

func (l *hubLink) Call(c *runtime.RemoteCall) { l.deliver(c, false) }

func (l *hubLink) Send(c *runtime.RemoteCall) { l.deliver(c, true) }

// deliver hands c to the link that owns its key, as a transport would.
func (l *hubLink) deliver(c *runtime.RemoteCall, oneWay bool) {
	name := l.name(c.Key)
	l.h.mu.Lock()
	owner := l.h.owners[name]
	l.h.mu.Unlock()
	switch {
	case owner == nil:
		c.Done(fmt.Errorf("hub: %s: %w", name, runtime.ErrNoRecipient))
		return
	case slices.Contains(c.Chain, name):
		c.Done(fmt.Errorf("hub: %s waits for itself: %w", name, runtime.ErrDeadlock))
		return
	}
	args, err := json.Marshal(c.Args)
	if err != nil {
		c.Done(err)
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.Ctx))
	if d, ok := c.Ctx.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.WithoutCancel(c.Ctx), d)
	}
	stop := context.AfterFunc(c.Ctx, cancel)
	in := &runtime.Inbound{
		Ctx: ctx, Key: c.Key, Method: c.Method, OneWay: oneWay, Chain: c.Chain,
		Decode: func(v any) error { return json.Unmarshal(args, v) },
	}
	in.Reply = func(result any, err error) {
		stop()
		cancel()
		if err == nil && result != nil && c.Result != nil {
			b, merr := json.Marshal(result)
			if merr == nil {
				merr = json.Unmarshal(b, c.Result)
			}
			err = merr
		}
		if !oneWay || err != nil {
			c.Done(err)
		}
	}
	owner.svc.Serve(in)
}

// echo is an Echo that answers with its name, and relays through its
// dispatcher's Ref.
type echo struct {
	name  string
	d     *EchoDispatcher
	notes []string
	noted chan string
}

func (e *echo) Say(_ context.Context, text string) (string, error) {
	if text == "panic" {
		panic("asked to")
	}
	return e.name + ": " + text, nil
}

func (e *echo) Relay(ctx context.Context, to, text string) (string, error) {
	return e.d.To(to).Say(ctx, text)
}

func (e *echo) Note(ctx context.Context, text string) {
	e.notes = append(e.notes, text)
	if e.noted != nil {
		e.noted <- text
	}
}

// twoProcesses returns two dispatchers on one hub, as two processes would
// have, each holding one key: "a" in the first, "b" in the second.
func twoProcesses(t *testing.T) (a, b *EchoDispatcher, ea, eb *echo) {
	t.Helper()
	h := newHub()
	a, b = NewEchoDispatcher(runtime.WithTransport(h)), NewEchoDispatcher(runtime.WithTransport(h))
	ea, eb = &echo{name: "a", d: a}, &echo{name: "b", d: b, noted: make(chan string, 100)}
	if err := a.Register("a", ea); err != nil {
		t.Fatal(err)
	}
	if err := b.Register("b", eb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		for _, d := range []*EchoDispatcher{a, b} {
			if err := d.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return a, b, ea, eb
}

func TestRemoteCallsReachTheOtherProcess(t *testing.T) {
	ctx := context.Background()
	a, _, _, eb := twoProcesses(t)
	if got, err := a.To("b").Say(ctx, "hi"); err != nil || got != "b: hi" {
		t.Fatalf("Say to b from a = %q, %v", got, err)
	}
	if got, err := a.To("a").Say(ctx, "hi"); err != nil || got != "a: hi" {
		t.Fatalf("Say to a from a = %q, %v", got, err)
	}
	if got, err := a.To("b").SayAsync(ctx, "later").Await(ctx); err != nil || got != "b: later" {
		t.Fatalf("SayAsync to b = %q, %v", got, err)
	}
	cctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	if got, err := a.To("b").Say(cctx, "deadline"); err != nil || got != "b: deadline" {
		t.Fatalf("Say with a deadline = %q, %v", got, err)
	}
	for i := range 50 {
		a.To("b").Note(ctx, fmt.Sprint(i))
	}
	for i := range 50 {
		select {
		case n := <-eb.noted:
			if n != fmt.Sprint(i) {
				t.Fatalf("note %d arrived as %q: out of order", i, n)
			}
		case <-time.After(patience):
			t.Fatal("notes did not arrive")
		}
	}
	if s := a.Stats(); len(s) != 1 || s["a"].Handled != 1 {
		t.Errorf("a's Stats = %+v: want only its own recipient, which handled the one local call", s)
	}
}

func TestRemoteErrors(t *testing.T) {
	ctx := context.Background()
	a, b, _, _ := twoProcesses(t)
	if _, err := a.To("nobody").Say(ctx, "hi"); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("Say to a key nobody holds: err = %v, want ErrNoRecipient", err)
	}
	if _, err := a.To("b").Say(ctx, "panic"); !errors.As(err, new(*runtime.PanicError)) {
		t.Errorf("Say that panics in the other process: err = %v, want a *PanicError", err)
	}
	if err := b.Register("a", &echo{name: "a2", d: b}); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Errorf("Register of a key the other process holds: err = %v, want ErrDuplicateKey", err)
	}
	// a relays to b, which relays back to a: a waits for itself.
	if _, err := a.To("a").Relay(ctx, "b", "x"); err != nil {
		t.Errorf("a→b relay: %v", err)
	}
	if _, err := b.To("b").Relay(ctx, "b", "x"); !errors.Is(err, runtime.ErrDeadlock) {
		t.Errorf("b→b relay within a process: err = %v, want ErrDeadlock", err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := a.To("a").Relay(ctx, "a", "x")
		got <- err
	}()
	select {
	case err := <-got:
		if !errors.Is(err, runtime.ErrDeadlock) {
			t.Errorf("a→a relay: err = %v, want ErrDeadlock", err)
		}
	case <-time.After(patience):
		t.Fatal("a→a relay hangs")
	}
}

// A cycle that closes in another process is found by the chain that
// crosses with the calls, not by a timeout.
func TestRemoteCycleAcrossProcesses(t *testing.T) {
	h := newHub()
	p1, p2 := NewEchoDispatcher(runtime.WithTransport(h)), NewEchoDispatcher(runtime.WithTransport(h))
	defer p1.Close(context.Background())
	defer p2.Close(context.Background())
	// x, in p1, relays to y, in p2, which relays to x: x waits for itself.
	x := &relayer{d: p1, next: "y"}
	y := &relayer{d: p2, next: "x"}
	if err := p1.Register("x", x); err != nil {
		t.Fatal(err)
	}
	if err := p2.Register("y", y); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	_, err := p1.To("x").Say(ctx, "go")
	if !errors.Is(err, runtime.ErrDeadlock) {
		t.Fatalf("x→y→x: err = %v, want ErrDeadlock", err)
	}
}

// relayer's Say asks the recipient under next to Say the same, with the
// context it was given.
type relayer struct {
	d    *EchoDispatcher
	next string
}

func (r *relayer) Say(ctx context.Context, text string) (string, error) {
	return r.d.To(r.next).Say(ctx, text)
}

func (r *relayer) Relay(ctx context.Context, to, text string) (string, error) {
	return r.d.To(to).Say(ctx, text)
}

func (r *relayer) Note(context.Context, string) {}

func TestRemoteUnregisterReleases(t *testing.T) {
	ctx := context.Background()
	a, b, _, _ := twoProcesses(t)
	if err := b.Unregister(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := a.Register("b", &echo{name: "b2", d: a}); err != nil {
		t.Fatalf("Register of a key the other process released: %v", err)
	}
	if got, err := b.To("b").Say(ctx, "hi"); err != nil || got != "b2: hi" {
		t.Fatalf("Say to the new owner, from the old one = %q, %v", got, err)
	}
}

func TestRemoteNeedsARemoteInterface(t *testing.T) {
	d := NewWorkerDispatcher(runtime.WithTransport(newHub()))
	defer d.Close(context.Background())
	if err := d.Register("w", newTestWorker("w")); err == nil {
		t.Fatal("Register on a dispatcher of a local-only interface made WithTransport succeeded")
	}
}

// One-way messages from another process that find the mailbox full wait
// for room in the order they came, and no later message takes the room
// before them: one sender's order holds past a full mailbox.
func TestRemoteOneWayOrderPastAFullMailbox(t *testing.T) {
	ctx := context.Background()
	h := newHub()
	a := NewEchoDispatcher(runtime.WithTransport(h))
	b := NewEchoDispatcher(runtime.WithTransport(h))
	// The recipient blocks on each note until the test reads it, so that
	// the mailbox fills and the rest wait.
	eb := &echo{name: "b", d: b, noted: make(chan string)}
	defer func() {
		// Whatever the test has not read, the recipient may still hand over.
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-eb.noted:
				case <-stop:
					return
				}
			}
		}()
		defer close(stop)
		cctx, cancel := context.WithTimeout(ctx, patience)
		defer cancel()
		for _, d := range []*EchoDispatcher{a, b} {
			if err := d.Close(cctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}()
	if err := b.Register("b", eb, runtime.WithMailboxSize(4)); err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		a.To("b").Note(ctx, fmt.Sprint(i))
	}
	for i := range n {
		select {
		case got := <-eb.noted:
			if got != fmt.Sprint(i) {
				t.Fatalf("note %d arrived as %q: out of order", i, got)
			}
		case <-time.After(patience):
			t.Fatalf("note %d did not arrive", i)
		}
	}
}
