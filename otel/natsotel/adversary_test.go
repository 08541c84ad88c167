package natsotel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/otel/natsotel"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// named returns the spans p ended named name.
func (p *process) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range p.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// TestAdversaryRemoteOutcomes calls a recipient in another process in
// every way a method ends, and sends it one-way messages that panic: each
// callee span is the remote child of the caller's, ends once, and fails
// as the call did.
func TestAdversaryRemoteOutcomes(t *testing.T) {
	srv := startServer(t)
	caller := startProcess(t, srv, w3c)
	callee := startProcess(t, srv, w3c, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx, root := caller.tp.Tracer("test").Start(ctx, "test")
	defer root.End()

	steps := []string{"ok", "fail", "panic"}
	for _, step := range steps {
		if _, err := caller.d.To("b").Do(ctx, step); (err == nil) != (step == "ok") {
			t.Fatalf("Do %s: %v", step, err)
		}
	}
	if _, err := caller.d.To("b").Do(ctx, "panic"); !errors.As(err, new(*runtime.PanicError)) {
		t.Errorf("remote panic: %v, want a *runtime.PanicError", err)
	}
	caller.d.To("b").Note(ctx, "panic")
	callee.eventually(t, "Hop.Note")

	dos := callee.named("Hop.Do")
	if len(dos) != len(steps)+1 {
		t.Fatalf("%d Hop.Do spans, want %d", len(dos), len(steps)+1)
	}
	failed := 0
	for _, s := range dos {
		checkChild(t, s, root.SpanContext(), trace.SpanKindServer)
		if s.Status().Code == codes.Error {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d Hop.Do spans failed, want 3", failed)
	}
	note := callee.only(t, "Hop.Note")
	checkChild(t, note, root.SpanContext(), trace.SpanKindConsumer)
	if note.Status().Code != codes.Error {
		t.Errorf("Hop.Note that panicked: status %v", note.Status())
	}
	if n, e := len(callee.spans.Started()), len(callee.spans.Ended()); n != e {
		t.Errorf("callee started %d spans, ended %d", n, e)
	}
}

// TestAdversaryHostileHeaders takes a call's request off the wire and
// publishes it again straight to its subject with its trace context
// missing, garbled, oversized or doubled: each is served, answered, and
// makes a span of a trace of its own, or of the one it names validly.
func TestAdversaryHostileHeaders(t *testing.T) {
	srv := startServer(t)
	caller := startProcess(t, srv, w3c)
	callee := startProcess(t, srv, w3c, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tap, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	taken := make(chan *nats.Msg, 16)
	sub, err := tap.Subscribe(">", func(m *nats.Msg) {
		if m.Header.Get("traceparent") != "" && m.Reply != "" {
			taken <- m
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tap.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, root := caller.tp.Tracer("test").Start(ctx, "test")
	if _, err := caller.d.To("b").Do(ctx, "ok"); err != nil {
		t.Fatal(err)
	}
	root.End()
	var req *nats.Msg
	select {
	case req = <-taken:
	case <-ctx.Done():
		t.Fatal("no request with a traceparent seen")
	}
	_ = sub.Unsubscribe()
	valid := req.Header.Get("traceparent")

	variants := map[string]func(h nats.Header){
		"missing":  func(h nats.Header) { h.Del("traceparent") },
		"garbled":  func(h nats.Header) { h.Set("traceparent", "00-zzzz-yyyy-01") },
		"zero ids": func(h nats.Header) { h.Set("traceparent", "00-00000000000000000000000000000000-0000000000000000-01") },
		"huge":     func(h nats.Header) { h.Set("traceparent", strings.Repeat("f", 60<<10)) },
		"doubled":  func(h nats.Header) { h["traceparent"] = []string{"garbage", valid} },
		"tracestate": func(h nats.Header) {
			h.Set("tracestate", strings.Repeat("k=v,", 20<<10))
		},
		"empty": func(h nats.Header) { h["traceparent"] = []string{} },
	}
	for name, change := range variants {
		h := nats.Header{}
		for k, v := range req.Header {
			h[k] = append([]string(nil), v...)
		}
		change(h)
		before := len(callee.named("Hop.Do"))
		msg := &nats.Msg{Subject: req.Subject, Header: h, Data: req.Data}
		if _, err := tap.RequestMsgWithContext(ctx, msg); err != nil {
			t.Errorf("%s: no reply: %v", name, err)
			continue
		}
		for deadline := time.Now().Add(5 * time.Second); len(callee.named("Hop.Do")) == before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		spans := callee.named("Hop.Do")
		if len(spans) != before+1 {
			t.Errorf("%s: %d new Hop.Do spans, want 1", name, len(spans)-before)
			continue
		}
		s := spans[len(spans)-1]
		if s.Parent().IsValid() && s.Parent().TraceID() != root.SpanContext().TraceID() {
			t.Errorf("%s: parent %v in trace %v, not the caller's", name, s.Parent().SpanID(), s.Parent().TraceID())
		}
	}
	if n, e := len(callee.spans.Started()), len(callee.spans.Ended()); n != e {
		t.Errorf("callee started %d spans, ended %d", n, e)
	}
}

// TestAdversaryHugeBaggage sends a call whose context carries baggage as
// near the W3C limit of 8192 bytes, with the baggage propagator too: the
// call is served, and its span is still the remote child of the caller's.
func TestAdversaryHugeBaggage(t *testing.T) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	opts := []natsdispatch.Option{natsdispatch.WithHeaders(natsotel.Headers(prop))}
	srv := startServer(t)
	caller := startProcess(t, srv, opts)
	callee := startProcess(t, srv, opts, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var members []baggage.Member
	for i := range 60 {
		m, err := baggage.NewMember(fmt.Sprintf("k%02d", i), strings.Repeat("v", 125))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	bag, err := baggage.New(members...)
	if err != nil {
		t.Fatal(err)
	}
	ctx = baggage.ContextWithBaggage(ctx, bag)
	ctx, root := caller.tp.Tracer("test").Start(ctx, "test")
	defer root.End()
	if _, err := caller.d.To("b").Do(ctx, "ok"); err != nil {
		t.Fatalf("Do with large baggage: %v", err)
	}
	checkChild(t, callee.only(t, "Hop.Do"), root.SpanContext(), trace.SpanKindServer)
}
