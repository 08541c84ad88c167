package dispatchotel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/otel/internal/hop"
	"github.com/dispatchgen/dispatchgen/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// checkSpan checks the attributes, parent and kind of a span of Hop.method
// served under key.
func checkSpan(t *testing.T, span sdktrace.ReadOnlySpan, method, key string, oneWay bool, parent trace.SpanContext) {
	t.Helper()
	want := []attribute.KeyValue{
		dispatchotel.AttrRecipient.String("Hop"),
		dispatchotel.AttrMethod.String(method),
		dispatchotel.AttrKey.String(key),
		dispatchotel.AttrOneWay.Bool(oneWay),
	}
	for _, kv := range want {
		if v, ok := attr(span, kv.Key); !ok || v != kv.Value {
			t.Errorf("%s: attribute %s is %v (set: %v), want %v", span.Name(), kv.Key, v.String(), ok, kv.Value.String())
		}
	}
	if v, ok := attr(span, dispatchotel.AttrQueueWait); !ok || v.Type() != attribute.FLOAT64 || v.AsFloat64() < 0 {
		t.Errorf("%s: attribute %s is %v (set: %v), want seconds", span.Name(), dispatchotel.AttrQueueWait, v.String(), ok)
	}
	if got := span.Parent(); !got.Equal(parent) {
		t.Errorf("%s: parent %v, want %v", span.Name(), got.SpanID(), parent.SpanID())
	}
	if span.SpanContext().TraceID() != parent.TraceID() {
		t.Errorf("%s: trace %v, want its parent's %v", span.Name(), span.SpanContext().TraceID(), parent.TraceID())
	}
	if span.SpanKind() != trace.SpanKindInternal {
		t.Errorf("%s: kind %v, want internal", span.Name(), span.SpanKind())
	}
}

// TestSpanPerCall checks the span of a call, an asynchronous call and a
// one-way message: its name, attributes and parent, the span in the
// context they were sent with, and that it ended fine.
func TestSpanPerCall(t *testing.T) {
	tel := newTelemetry(t)
	d, s := tel.dispatcher(t, "a")
	ctx, root := tel.root(timeout(t, 10*time.Second))
	defer root.End()

	if got, err := d.To("a").Do(ctx, "ok"); err != nil || got != "ok" {
		t.Fatalf("Do: %q, %v", got, err)
	}
	if got, err := d.To("a").RelayAsync(ctx, "a", "nothing").Await(ctx); err == nil || got != "" {
		// Relaying to itself is a call that would wait on its own caller.
		t.Fatalf("RelayAsync to itself: %q, %v; want ErrDeadlock", got, err)
	}
	d.To("a").Note(ctx, "ok")
	if err := d.Flush(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := <-s.Noted; got != "ok" {
		t.Fatalf("Note ran %q", got)
	}

	do := tel.only(t, "Hop.Do")
	checkSpan(t, do, "Do", "a", false, root.SpanContext())
	if do.Status().Code != codes.Unset {
		t.Errorf("Do: status %v, want unset", do.Status())
	}
	checkSpan(t, tel.only(t, "Hop.Relay"), "Relay", "a", false, root.SpanContext())
	note := tel.only(t, "Hop.Note")
	checkSpan(t, note, "Note", "a", true, root.SpanContext())
	if note.Status().Code != codes.Unset {
		t.Errorf("Note: status %v, want unset", note.Status())
	}
}

// TestNestedCallIsChild checks that a call made from a method, with the
// method's context, is a child of the method's span, for a call, an
// asynchronous call and a one-way message alike.
func TestNestedCallIsChild(t *testing.T) {
	tel := newTelemetry(t)
	d, _ := tel.dispatcher(t, "a", "b")
	ctx, root := tel.root(timeout(t, 10*time.Second))
	defer root.End()

	if got, err := d.To("a").Relay(ctx, "b", "ok"); err != nil || got != "ok" {
		t.Fatalf("Relay: %q, %v", got, err)
	}
	relay := tel.only(t, "Hop.Relay")
	checkSpan(t, relay, "Relay", "a", false, root.SpanContext())
	checkSpan(t, tel.only(t, "Hop.Do"), "Do", "b", false, relay.SpanContext())
}

// TestErrorKinds checks, for each way a method can fail, the span's status,
// error.type and error event, and the dispatch.errors counter by kind.
func TestErrorKinds(t *testing.T) {
	cases := []struct {
		name, method, step string
		ctx                func(t *testing.T) context.Context
		kind               string
		is                 error
	}{
		{name: "method", method: "Do", step: "fail", kind: "method", is: hop.ErrStep},
		{name: "panic", method: "Do", step: "panic", kind: "panic"},
		{name: "goexit", method: "Do", step: "goexit", kind: "panic", is: runtime.ErrGoexit},
		{name: "deadline", method: "Do", step: "wait", kind: "deadline_exceeded", is: context.DeadlineExceeded,
			ctx: func(t *testing.T) context.Context { return timeout(t, 20*time.Millisecond) }},
		{name: "canceled", method: "Do", step: "wait", kind: "canceled", is: context.Canceled,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(20*time.Millisecond, cancel)
				t.Cleanup(cancel)
				return ctx
			}},
		{name: "sentinel", method: "Relay", step: "ok", kind: "no_recipient", is: runtime.ErrNoRecipient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tel := newTelemetry(t)
			d, _ := tel.dispatcher(t, "a")
			ctx := timeout(t, 10*time.Second)
			if c.ctx != nil {
				ctx = c.ctx(t)
			}
			var err error
			if c.method == "Do" {
				_, err = d.To("a").Do(ctx, c.step)
			} else {
				_, err = d.To("a").Relay(ctx, "nobody", c.step)
			}
			if err == nil || c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("%s: error %v, want one wrapping %v", c.method, err, c.is)
			}
			// The caller of a call whose context ended does not wait for
			// the method to return.
			if err := d.Flush(timeout(t, 10*time.Second), "a"); err != nil {
				t.Fatal(err)
			}
			span := tel.only(t, "Hop."+c.method)
			if span.Status().Code != codes.Error || span.Status().Description == "" {
				t.Errorf("status %v, want an error with its text", span.Status())
			}
			if v, _ := attr(span, semconv.ErrorTypeKey); v.AsString() != c.kind {
				t.Errorf("error.type %q, want %q", v.AsString(), c.kind)
			}
			events := span.Events()
			if len(events) != 1 || events[0].Name != "exception" {
				t.Fatalf("events %v, want one exception", events)
			}
			var stack string
			for _, kv := range events[0].Attributes {
				if kv.Key == semconv.ExceptionStacktraceKey {
					stack = kv.Value.AsString()
				}
			}
			if wantStack := c.kind == "panic"; wantStack != (stack != "") {
				t.Errorf("exception.stacktrace %q; want one: %v", stack, wantStack)
			}

			rm := tel.collect(t)
			method := dispatchotel.AttrMethod.String(c.method)
			if n := counted(t, rm, "dispatch.errors", method, semconv.ErrorTypeKey.String(c.kind)); n != 1 {
				t.Errorf("dispatch.errors of kind %s: %d, want 1", c.kind, n)
			}
			if n := counted(t, rm, "dispatch.errors"); n != 1 {
				t.Errorf("dispatch.errors of all kinds: %d, want 1", n)
			}
			if n := counted(t, rm, "dispatch.calls", method); n != 1 {
				t.Errorf("dispatch.calls: %d, want 1", n)
			}
		})
	}
}

// TestErrorKind checks the classification of errors that a test cannot
// easily make a method end with, and the order of the rules.
func TestErrorKind(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", runtime.ErrClosed), "closed"},
		{fmt.Errorf("x: %w", runtime.ErrMailboxFull), "mailbox_full"},
		{fmt.Errorf("x: %w", runtime.ErrDeadlock), "deadlock"},
		{fmt.Errorf("x: %w", runtime.ErrNilContext), "nil_context"},
		// A sentinel before the context error it wraps too.
		{fmt.Errorf("%w: %w", runtime.ErrMailboxFull, context.DeadlineExceeded), "mailbox_full"},
		// A panic before what its value wraps.
		{&runtime.PanicError{Value: runtime.ErrClosed}, "panic"},
		{fmt.Errorf("x: %w", &runtime.PanicError{Value: "v"}), "panic"},
		{errors.New("mine"), "method"},
	}
	for _, c := range cases {
		if got := dispatchotel.ErrorKind(c.err); got != c.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestMetrics checks the calls counter and the duration and queue-wait
// histograms, by method, after calls of every kind.
func TestMetrics(t *testing.T) {
	tel := newTelemetry(t)
	d, s := tel.dispatcher(t, "a", "b")
	ctx := timeout(t, 10*time.Second)
	const n = 5
	for range n {
		if _, err := d.To("a").Do(ctx, "ok"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.To("b").DoAsync(ctx, "ok").Await(ctx); err != nil {
			t.Fatal(err)
		}
		d.To("a").Note(ctx, "ok")
	}
	if _, err := d.To("a").Do(ctx, "fail"); err == nil {
		t.Fatal("the step fail did not fail")
	}
	if err := d.Flush(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for range n {
		<-s.Noted
	}

	rm := tel.collect(t)
	for method, want := range map[string]int64{"Do": 2*n + 1, "Note": n} {
		attrs := []attribute.KeyValue{dispatchotel.AttrRecipient.String("Hop"), dispatchotel.AttrMethod.String(method)}
		if got := counted(t, rm, "dispatch.calls", attrs...); got != want {
			t.Errorf("dispatch.calls of %s: %d, want %d", method, got, want)
		}
		for _, h := range []string{"dispatch.call.duration", "dispatch.queue.wait"} {
			if count, sum := histogram(t, rm, h, attrs...); count != uint64(want) || sum < 0 {
				t.Errorf("%s of %s: %d points summing to %v, want %d", h, method, count, sum, want)
			}
		}
	}
	if got := counted(t, rm, "dispatch.errors"); got != 1 {
		t.Errorf("dispatch.errors: %d, want 1", got)
	}
}

// TestQueueWait checks that a message that waited behind another records
// at least that wait, in its span and in the histogram.
func TestQueueWait(t *testing.T) {
	tel := newTelemetry(t)
	d, s := tel.dispatcher(t, "a")
	ctx := timeout(t, 10*time.Second)
	blocked := d.To("a").DoAsync(ctx, "block")
	waiting := d.To("a").DoAsync(ctx, "ok")
	const wait = 50 * time.Millisecond
	time.Sleep(wait)
	close(s.Release)
	for _, f := range []*runtime.Future[string]{blocked, waiting} {
		if _, err := f.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}

	var waited float64
	for _, span := range tel.ended("Hop.Do") {
		v, _ := attr(span, dispatchotel.AttrQueueWait)
		waited = max(waited, v.AsFloat64())
	}
	if waited < wait.Seconds() {
		t.Errorf("the longest queue wait of a span is %vs, want at least %v", waited, wait)
	}
	if count, sum := histogram(t, tel.collect(t), "dispatch.queue.wait"); count != 2 || sum < wait.Seconds() {
		t.Errorf("dispatch.queue.wait: %d points summing to %vs, want 2 summing to at least %v", count, sum, wait)
	}
}

// TestKeyText checks that a key that marshals itself is written as its
// text, as the transports write it.
func TestKeyText(t *testing.T) {
	tel := newTelemetry(t)
	icpt, err := dispatchotel.NewInterceptor(tel.options()...)
	if err != nil {
		t.Fatal(err)
	}
	info := runtime.CallInfo{Recipient: "R", Key: textKey{"k"}, Method: "M", Enqueued: time.Now()}
	if err := icpt(context.Background(), info, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if v, _ := attr(tel.only(t, "R.M"), dispatchotel.AttrKey); v.AsString() != "text:k" {
		t.Errorf("key %q, want %q", v.AsString(), "text:k")
	}
}

type textKey struct{ s string }

func (k textKey) MarshalText() ([]byte, error) { return []byte("text:" + k.s), nil }
func (k textKey) String() string               { return strings.ToUpper(k.s) }
