package natsdispatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// traceKey is the context key of the value testPropagator carries.
type traceKey struct{}

// testPropagator carries the string under traceKey in the header
// Test-Trace, and writes the headers in extra besides.
type testPropagator struct {
	extra nats.Header
}

func (p testPropagator) Inject(ctx context.Context, h nats.Header) {
	if v, ok := ctx.Value(traceKey{}).(string); ok {
		h.Set("Test-Trace", v)
	}
	for name, values := range p.extra {
		h[name] = values
	}
}

func (testPropagator) Extract(ctx context.Context, h nats.Header) context.Context {
	if v := h.Get("Test-Trace"); v != "" {
		return context.WithValue(ctx, traceKey{}, v)
	}
	return ctx
}

// traced returns a fake whose Echo answers, and whose Note sends on the
// channel returned, what its context holds under traceKey.
func traced(name string) (*fakeService, chan string) {
	f := newFake(name)
	notes := make(chan string, 16)
	f.handlers["Echo"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		v, _ := ctx.Value(traceKey{}).(string)
		return &echoResult{Key: key, Node: name, Text: v}, nil
	}
	f.handlers["Note"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		v, _ := ctx.Value(traceKey{}).(string)
		notes <- v
		return nil, nil
	}
	return f, notes
}

// TestHeadersCarryContext checks that what a caller's context holds
// reaches, through the propagator, the context of the call and of the
// one-way message the other node serves.
func TestHeadersCarryContext(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	p := WithHeaders(testPropagator{})
	host, notes := traced("host")
	bind(t, startNode(t, srv, p), host, "k")
	caller := bind(t, startNode(t, srv, p), newFake("caller"))
	ctx := context.WithValue(timeout(t, 10*time.Second), traceKey{}, "trace-1")

	var res echoResult
	if err := call(ctx, caller, "k", "Echo", echoArgs{}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Text != "trace-1" {
		t.Errorf("the call served saw %q in its context, want %q", res.Text, "trace-1")
	}

	send(context.WithValue(context.Background(), traceKey{}, "trace-2"), caller, "k", "Note", echoArgs{},
		func(err error) { t.Errorf("one-way message refused: %v", err) })
	select {
	case got := <-notes:
		if got != "trace-2" {
			t.Errorf("the one-way message served saw %q in its context, want %q", got, "trace-2")
		}
	case <-ctx.Done():
		t.Fatal("the one-way message was not served")
	}
}

// TestHeadersCannotOverrideNodeHeaders checks that a propagator that writes
// the node's own headers changes nothing: a chain naming the callee would
// fail the call with ErrDeadlock, a timeout of a nanosecond with
// DeadlineExceeded.
func TestHeadersCannotOverrideNodeHeaders(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	p := WithHeaders(testPropagator{extra: nats.Header{
		hdrChain:   {"Echo.k"},
		hdrTimeout: {"1ns"},
	}})
	host, _ := traced("host")
	bind(t, startNode(t, srv, p), host, "k")
	caller := bind(t, startNode(t, srv, p), newFake("caller"))

	var res echoResult
	if err := call(timeout(t, 10*time.Second), caller, "k", "Echo", echoArgs{}, &res); err != nil {
		t.Fatalf("call with a propagator that writes the node's headers: %v", err)
	}
}

// TestHeadersUnsetSendNone checks that a node without a propagator sends a
// one-way message, and a call without deadline or chain, with no headers,
// as it did before propagators, whatever the context holds.
func TestHeadersUnsetSendNone(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host, notes := traced("host")
	bind(t, startNode(t, srv), host, "k")
	caller := bind(t, startNode(t, srv), newFake("caller"))
	snooper := connect(t, srv, false)
	snoop, err := snooper.SubscribeSync(DefaultPrefix + ".Echo.k.*")
	if err == nil {
		err = snooper.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), traceKey{}, "trace")

	var res echoResult
	if err := call(ctx, caller, "k", "Echo", echoArgs{}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Text != "" {
		t.Errorf("without a propagator the call served saw %q in its context", res.Text)
	}
	send(ctx, caller, "k", "Note", echoArgs{}, func(err error) { t.Errorf("one-way message refused: %v", err) })
	if got := <-notes; got != "" {
		t.Errorf("without a propagator the one-way message served saw %q in its context", got)
	}
	for _, method := range []string{"Echo", "Note"} {
		msg, err := snoop.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if msg.Header != nil {
			t.Errorf("%s was sent with headers %v, want none", msg.Subject, msg.Header)
		}
	}
}

// BenchmarkHeaders sets a call through nodes with a propagator that
// carries one header beside the same call through nodes without one.
func BenchmarkHeaders(b *testing.B) {
	srv := startServer(b, embedded.Config{})
	for _, v := range []struct {
		name string
		opts []Option
	}{{"none", nil}, {"propagator", []Option{WithHeaders(testPropagator{})}}} {
		b.Run(v.name, func(b *testing.B) {
			ncHost, ncCaller := benchConns(b, srv, false)
			opts := append([]Option{WithPrefix(fmt.Sprint("hdr", benchRun.Add(1)))}, v.opts...)
			host, caller := nodeOn(b, ncHost, opts...), nodeOn(b, ncCaller, opts...)
			hl, _ := host.Bind(&benchService{})
			if err := hl.Claim(context.Background(), "k"); err != nil {
				b.Fatal(err)
			}
			out, _ := caller.Bind(&benchService{})
			ctx := context.WithValue(context.Background(), traceKey{}, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			b.ReportAllocs()
			for b.Loop() {
				var res echoArgs
				if err := call(ctx, out, "k", "Echo", &benchArgs, &res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
