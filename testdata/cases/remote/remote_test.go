package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// hub is a transport between dispatchers of one test, as if each were in a
// process of its own: every call's arguments and results cross as JSON.
type hub struct {
	mu     sync.Mutex
	owners map[string]runtime.Service // by Interface + "." + key
}

type hubLink struct {
	h   *hub
	svc runtime.Service
}

func (h *hub) Bind(svc runtime.Service) (runtime.Link, error) { return &hubLink{h, svc}, nil }

func (l *hubLink) Claim(_ context.Context, key string) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	name := l.svc.Interface() + "." + key
	if l.h.owners[name] != nil {
		return fmt.Errorf("%s: %w", name, runtime.ErrDuplicateKey)
	}
	l.h.owners[name] = l.svc
	return nil
}

func (l *hubLink) Release(_ context.Context, key string) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	delete(l.h.owners, l.svc.Interface()+"."+key)
	return nil
}

func (l *hubLink) Close(context.Context) error { return nil }
func (l *hubLink) Call(c *runtime.RemoteCall)  { l.deliver(c, false) }
func (l *hubLink) Send(c *runtime.RemoteCall)  { l.deliver(c, true) }

func (l *hubLink) deliver(c *runtime.RemoteCall, oneWay bool) {
	l.h.mu.Lock()
	owner := l.h.owners[l.svc.Interface()+"."+c.Key]
	l.h.mu.Unlock()
	args, err := json.Marshal(c.Args)
	switch {
	case err != nil:
		c.Done(err)
		return
	case owner == nil:
		c.Done(fmt.Errorf("%s: %w", c.Key, runtime.ErrNoRecipient))
		return
	}
	owner.Serve(&runtime.Inbound{
		Ctx: context.WithoutCancel(c.Ctx), Key: c.Key, Method: c.Method, OneWay: oneWay,
		Decode: func(v any) error { return json.Unmarshal(args, v) },
		Reply: func(result any, err error) {
			if err == nil && result != nil {
				b, merr := json.Marshal(result)
				err = errors.Join(merr, json.Unmarshal(b, c.Result))
			}
			if !oneWay || err != nil {
				c.Done(err)
			}
		},
	})
}

// store keeps what it is given, as its recipient sees it after the wire.
type store struct {
	entries map[string]*Entry
	touched chan string
}

func (s *store) Put(_ context.Context, name string, e Entry) error {
	s.entries[name] = &e
	return nil
}

func (s *store) Get(_ context.Context, name string) (*Entry, error) {
	if e := s.entries[name]; e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("no entry %q", name)
}

func (s *store) Stat(_ context.Context, name string) (int, time.Time, error) {
	e := s.entries[name]
	return len(e.Text), e.At, nil
}

func (s *store) Append(_ context.Context, a, A string, more ...string) (int, error) {
	return len(a) + 10*len(A) + 100*len(more), nil
}

func (s *store) Touch(name string)        { s.touched <- name }
func (s *store) Drop(ctx context.Context) { s.touched <- "drop" }

type shard struct{ n int }

func (s *shard) Size(context.Context) int                     { return s.n }
func (s *shard) Resize(_ context.Context, n int) (int, error) { s.n = n; return n, nil }

// twoProcesses returns a hosting and a calling dispatcher of Store on one
// hub, with a store under "s" in the first.
func twoProcesses(t *testing.T) (caller *StoreDispatcher, s *store, h *hub) {
	h = &hub{owners: map[string]runtime.Service{}}
	host := NewStoreDispatcher(runtime.WithTransport(h))
	caller = NewStoreDispatcher(runtime.WithTransport(h))
	s = &store{entries: map[string]*Entry{}, touched: make(chan string, 10)}
	if err := host.Register("s", s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range []*StoreDispatcher{host, caller} {
			if err := d.Close(context.Background()); err != nil {
				t.Error(err)
			}
		}
	})
	return caller, s, h
}

func TestArgumentsAndResultsCross(t *testing.T) {
	ctx := context.Background()
	caller, _, _ := twoProcesses(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 5, time.UTC)
	in := Entry{Text: "hello", At: at, Tags: map[int]string{7: "seven"},
		Children: []*Entry{{Text: "child"}}, Extra: map[string]any{"n": 3}}
	if err := caller.To("s").Put(ctx, "e", in); err != nil {
		t.Fatal(err)
	}
	got, err := caller.To("s").GetAsync(ctx, "e").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The codec's caveat: inside any, JSON turns integers into float64.
	want := in
	want.Extra = map[string]any{"n": float64(3)}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Get = %+v, want %+v", *got, want)
	}
	size, gotAt, err := caller.To("s").Stat(ctx, "e")
	if size != 5 || !gotAt.Equal(at) || err != nil {
		t.Errorf("Stat = %d, %v, %v", size, gotAt, err)
	}
	if n, err := caller.To("s").Append(ctx, "a", "bb", "x", "y", "z"); n != 321 || err != nil {
		t.Errorf("Append = %d, %v: a parameter did not cross as itself", n, err)
	}
	if _, err := caller.To("s").Get(ctx, "missing"); err == nil || err.Error() != `no entry "missing"` {
		t.Errorf("Get of a missing entry: err = %v", err)
	}
}

func TestOneWayCrosses(t *testing.T) {
	caller, s, _ := twoProcesses(t)
	caller.To("s").Touch("e")
	caller.To("s").Drop(context.Background())
	for _, want := range []string{"e", "drop"} {
		select {
		case got := <-s.touched:
			if got != want {
				t.Errorf("one-way message %q arrived as %q", want, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("one-way message %q did not arrive", want)
		}
	}
}

func TestTextKeysCross(t *testing.T) {
	ctx := context.Background()
	h := &hub{owners: map[string]runtime.Service{}}
	host, caller := NewShardDispatcher(runtime.WithTransport(h)), NewShardDispatcher(runtime.WithTransport(h))
	defer host.Close(ctx)
	defer caller.Close(ctx)
	if err := host.Register(Region{"EU"}, &shard{n: 3}); err != nil {
		t.Fatal(err)
	}
	if h.owners["Shard.eu"] == nil {
		t.Errorf("the key was claimed as %v, want its text eu", h.owners)
	}
	if n := caller.To(Region{"EU"}).Size(ctx); n != 3 {
		t.Errorf("Size = %d", n)
	}
	if n, err := caller.To(Region{"EU"}).ResizeFuture(ctx, 4).Await(ctx); n != 4 || err != nil {
		t.Errorf("ResizeFuture = %d, %v", n, err)
	}
	defer func() {
		var ce *ShardCallError
		if e, _ := recover().(error); !errors.As(e, &ce) || !errors.Is(ce, runtime.ErrNoRecipient) {
			t.Errorf("Size of a key nobody holds panicked with %v, want a *ShardCallError of ErrNoRecipient", e)
		}
	}()
	caller.To(Region{"US"}).Size(ctx)
}

func TestLocalOnlyBeside(t *testing.T) {
	ctx := context.Background()
	d := NewCounterDispatcher()
	defer d.Close(ctx)
	if err := d.Register(1, counter{}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.To(1).Add(ctx, 2); n != 2 || err != nil {
		t.Errorf("Add = %d, %v", n, err)
	}
	if err := NewCounterDispatcher(runtime.WithTransport(&hub{})).Register(1, counter{}); err == nil {
		t.Error("a local-only interface registered WithTransport")
	}
}

type counter struct{}

func (counter) Add(_ context.Context, n int) (int, error) { return n, nil }
