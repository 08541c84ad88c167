package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// errListed is an application error both nodes list WithErrors.
var errListed = errors.New("e2e: a listed application error")

// failures are the errors Fail returns by name, each wrapped as a method
// that fails because of it would: every sentinel of the runtime, the
// context errors, and the listed application error.
var failures = map[string]error{
	"ErrNoRecipient":   runtime.ErrNoRecipient,
	"ErrDuplicateKey":  runtime.ErrDuplicateKey,
	"ErrClosed":        runtime.ErrClosed,
	"ErrMailboxFull":   runtime.ErrMailboxFull,
	"ErrDeadlock":      runtime.ErrDeadlock,
	"ErrNilRecipient":  runtime.ErrNilRecipient,
	"ErrNilContext":    runtime.ErrNilContext,
	"Canceled":         context.Canceled,
	"DeadlineExceeded": context.DeadlineExceeded,
	"listed":           errListed,
}

// cluster is an embedded server and nodes on connections of their own, as
// processes would have them.
type cluster struct {
	t   testing.TB
	srv *embedded.Server
	// tcp connects nodes over loopback TCP rather than in-process.
	tcp bool
	// codec, if set, is the nodes' codec instead of JSON.
	codec natsdispatch.Codec
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	srv, err := embedded.Start(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return &cluster{t: t, srv: srv}
}

// node starts a node on a connection of its own, listing errListed, and a
// ToolServer dispatcher on it named name, whose recipients say name when
// they serve. Cleanup closes the dispatcher, then the node, then the
// connection.
func (c *cluster) node(name string, opts ...runtime.Option) *host {
	t := c.t
	t.Helper()
	nc, err := c.connect()
	if err != nil {
		t.Fatal(err)
	}
	nodeOpts := []natsdispatch.Option{natsdispatch.WithErrors(errListed)}
	if c.codec != nil {
		nodeOpts = append(nodeOpts, natsdispatch.WithCodec(c.codec))
	}
	n, err := natsdispatch.NewNode(nc, nodeOpts...)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	h := &host{name: name, d: NewToolServerDispatcher(append(opts, runtime.WithTransport(n))...)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.d.Close(ctx); err != nil {
			t.Errorf("dispatcher %s: Close: %v", name, err)
		}
		if err := n.Close(ctx); err != nil {
			t.Errorf("node %s: Close: %v", name, err)
		}
		nc.Close()
	})
	return h
}

// connect opens a connection of its own to the server.
func (c *cluster) connect() (*nats.Conn, error) {
	if c.tcp {
		return c.srv.ConnectTCP()
	}
	return c.srv.Connect()
}

// host is one node's dispatcher and the servers registered in it.
type host struct {
	name string
	d    *ToolServerDispatcher
}

// serve registers a server under each key.
func (h *host) serve(t testing.TB, keys ...string) map[string]*server {
	t.Helper()
	s := make(map[string]*server, len(keys))
	for _, k := range keys {
		s[k] = &server{key: k, node: h.name, d: h.d}
		if err := h.d.Register(k, s[k]); err != nil {
			t.Fatalf("%s: Register(%q): %v", h.name, k, err)
		}
	}
	return s
}

// server is a ToolServer that says which key and node it is.
type server struct {
	key, node string
	d         *ToolServerDispatcher

	mu    sync.Mutex
	notes []int
}

func (s *server) CallTool(_ context.Context, name string, args Args) (Result, error) {
	if name != "echo" {
		return Result{}, fmt.Errorf("no tool %q", name)
	}
	return Result{Key: s.key, Node: s.node, N: args.N, Text: args.Text}, nil
}

func (s *server) Notify(_ context.Context, args Args) {
	s.mu.Lock()
	s.notes = append(s.notes, args.N)
	s.mu.Unlock()
}

func (s *server) Fail(_ context.Context, name string) error {
	switch name {
	case "panic":
		panic("boom in " + s.key)
	case "unlisted":
		return errors.New("something unlisted went wrong")
	}
	if err, ok := failures[name]; ok {
		return fmt.Errorf("tool %s: %w", name, err)
	}
	return fmt.Errorf("no failure %q", name)
}

func (s *server) Hop(ctx context.Context, path []string) ([]string, error) {
	if len(path) == 0 {
		return []string{s.key}, nil
	}
	served, err := s.d.To(path[0]).Hop(ctx, path[1:])
	return append(served, s.key), err
}

// notesOf returns a copy of what Notify has recorded.
func (s *server) notesOf() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes)
}

// keys returns n keys made of prefix.
func keys(prefix string, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return ks
}

// within returns a context that ends after d, and the test's cleanup
// cancels.
func within(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
