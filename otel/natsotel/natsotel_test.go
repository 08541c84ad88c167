package natsotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/otel/internal/hop"
	"github.com/dispatchgen/dispatchgen/otel/natsotel"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// process stands for one process of a cluster: a tracer provider of its
// own, a node, and a traced dispatcher hosting keys.
type process struct {
	spans *tracetest.SpanRecorder
	tp    *sdktrace.TracerProvider
	d     *hop.HopDispatcher
}

// startProcess makes a process on srv that hosts keys, whose node has the
// node options opts.
func startProcess(t *testing.T, srv *embedded.Server, opts []natsdispatch.Option, keys ...string) *process {
	t.Helper()
	p := &process{spans: tracetest.NewSpanRecorder()}
	p.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p.spans))
	t.Cleanup(func() { _ = p.tp.Shutdown(context.Background()) })
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	node, err := natsdispatch.NewNode(nc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	icpt, err := dispatchotel.NewInterceptor(dispatchotel.WithTracerProvider(p.tp))
	if err != nil {
		t.Fatal(err)
	}
	p.d = hop.NewHopDispatcher(runtime.WithTransport(node), runtime.WithInterceptors(icpt))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.d.Close(ctx); err != nil {
			t.Errorf("close dispatcher: %v", err)
		}
		if err := node.Close(ctx); err != nil {
			t.Errorf("close node: %v", err)
		}
	})
	s := hop.NewServer(p.d)
	for _, k := range keys {
		if err := p.d.Register(k, s); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// only returns the one span named name that p ended.
func (p *process) only(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range p.spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q ended, want 1", len(found), name)
	}
	return found[0]
}

// eventually waits for p to end a span named name.
func (p *process) eventually(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, s := range p.spans.Ended() {
			if s.Name() == name {
				return p.only(t, name)
			}
		}
	}
	t.Fatalf("no span %q ended", name)
	return nil
}

func startServer(t *testing.T) *embedded.Server {
	t.Helper()
	srv, err := embedded.Start(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// checkChild checks that child, ended in another process, is of kind in
// the trace of parent, as its child.
func checkChild(t *testing.T, child sdktrace.ReadOnlySpan, parent trace.SpanContext, kind trace.SpanKind) {
	t.Helper()
	if got := child.SpanContext().TraceID(); got != parent.TraceID() {
		t.Errorf("%s: trace %v, want the caller's %v", child.Name(), got, parent.TraceID())
	}
	if got := child.Parent(); got.SpanID() != parent.SpanID() || !got.IsRemote() {
		t.Errorf("%s: parent %v (remote: %v), want the caller's %v, remote", child.Name(), got.SpanID(), got.IsRemote(), parent.SpanID())
	}
	if child.SpanKind() != kind {
		t.Errorf("%s: kind %v, want %v", child.Name(), child.SpanKind(), kind)
	}
}

var w3c = []natsdispatch.Option{natsdispatch.WithHeaders(natsotel.Headers(propagation.TraceContext{}))}

// TestTraceAcrossProcesses checks that a call from a method in one process
// to a recipient in another is one trace: the callee's span is a child of
// the caller's, and so for a one-way message.
func TestTraceAcrossProcesses(t *testing.T) {
	srv := startServer(t)
	caller := startProcess(t, srv, w3c, "a")
	callee := startProcess(t, srv, w3c, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx, root := caller.tp.Tracer("test").Start(ctx, "test")
	defer root.End()

	if got, err := caller.d.To("a").Relay(ctx, "b", "ok"); err != nil || got != "ok" {
		t.Fatalf("Relay: %q, %v", got, err)
	}
	relay := caller.only(t, "Hop.Relay")
	if relay.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Errorf("Hop.Relay: parent %v, want the test's %v", relay.Parent().SpanID(), root.SpanContext().SpanID())
	}
	checkChild(t, callee.only(t, "Hop.Do"), relay.SpanContext(), trace.SpanKindServer)

	caller.d.To("b").Note(ctx, "ok")
	checkChild(t, callee.eventually(t, "Hop.Note"), root.SpanContext(), trace.SpanKindConsumer)
}

// TestNoHeadersNoTrace checks the other side: without WithHeaders the
// callee's span starts a trace of its own.
func TestNoHeadersNoTrace(t *testing.T) {
	srv := startServer(t)
	caller := startProcess(t, srv, nil, "a")
	callee := startProcess(t, srv, nil, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := caller.d.To("a").Relay(ctx, "b", "ok"); err != nil {
		t.Fatal(err)
	}
	relay, do := caller.only(t, "Hop.Relay"), callee.only(t, "Hop.Do")
	if do.Parent().IsValid() || do.SpanContext().TraceID() == relay.SpanContext().TraceID() {
		t.Errorf("Hop.Do without headers: parent %v in trace %v, want a root of a trace other than %v",
			do.Parent().SpanID(), do.SpanContext().TraceID(), relay.SpanContext().TraceID())
	}
}

// TestHeadersCarrier checks the names the adapter writes, that it reads
// them in another case, and that it ignores what it cannot parse.
func TestHeadersCarrier(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("test").Start(context.Background(), "test")
	defer span.End()
	p := natsotel.Headers(propagation.TraceContext{})

	h := nats.Header{}
	p.Inject(ctx, h)
	if h.Get("traceparent") == "" {
		t.Fatalf("Inject wrote %v, want a traceparent", h)
	}
	upper := nats.Header{"Traceparent": h["traceparent"]}
	if got := trace.SpanContextFromContext(p.Extract(context.Background(), upper)); got.SpanID() != span.SpanContext().SpanID() {
		t.Errorf("Extract of Traceparent: span %v, want %v", got.SpanID(), span.SpanContext().SpanID())
	}
	for _, bad := range []nats.Header{nil, {}, {"traceparent": {"00-zz-zz-01"}}, {"traceparent": {}}} {
		if got := trace.SpanContextFromContext(p.Extract(context.Background(), bad)); got.IsValid() {
			t.Errorf("Extract of %v: span context %v, want none", bad, got)
		}
	}
}
