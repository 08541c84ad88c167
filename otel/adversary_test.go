package dispatchotel_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/otel/internal/hop"
	"github.com/dispatchgen/dispatchgen/runtime"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// endCounter is a TracerProvider over another that counts the End calls of
// each span it starts, which the SDK's spans hide: a second End is a no-op
// there.
type endCounter struct {
	trace.TracerProvider
	mu   sync.Mutex
	ends map[trace.SpanID]int
}

type countingTracer struct {
	trace.Tracer
	c *endCounter
}

type countingSpan struct {
	trace.Span
	c *endCounter
}

func (c *endCounter) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return countingTracer{c.TracerProvider.Tracer(name, opts...), c}
}

func (t countingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, s := t.Tracer.Start(ctx, name, opts...)
	t.c.mu.Lock()
	t.c.ends[s.SpanContext().SpanID()] += 0
	t.c.mu.Unlock()
	cs := countingSpan{s, t.c}
	return trace.ContextWithSpan(ctx, cs), cs
}

func (s countingSpan) End(opts ...trace.SpanEndOption) {
	s.c.mu.Lock()
	s.c.ends[s.SpanContext().SpanID()]++
	s.c.mu.Unlock()
	s.Span.End(opts...)
}

// adversary is a telemetry whose interceptor's spans are counted too.
type adversary struct {
	*telemetry
	ends *endCounter
	icpt runtime.Interceptor
}

func newAdversary(t *testing.T) *adversary {
	t.Helper()
	tel := newTelemetry(t)
	a := &adversary{telemetry: tel, ends: &endCounter{TracerProvider: tel.tp, ends: map[trace.SpanID]int{}}}
	icpt, err := dispatchotel.NewInterceptor(dispatchotel.WithTracerProvider(a.ends), dispatchotel.WithMeterProvider(tel.mp))
	if err != nil {
		t.Fatal(err)
	}
	a.icpt = icpt
	return a
}

// dispatcher returns a dispatcher with the interceptors inner around the
// otel one's next, and outer around it, registering one server under keys
// with ropts.
func (a *adversary) dispatcher(t *testing.T, outer, inner []runtime.Interceptor, ropts []runtime.RecipientOption, keys ...string) (*hop.HopDispatcher, *hop.Server) {
	t.Helper()
	is := append(append(append([]runtime.Interceptor{}, outer...), a.icpt), inner...)
	d := hop.NewHopDispatcher(runtime.WithInterceptors(is...), runtime.WithDeadLetterHandler(func(runtime.DeadLetter) {}))
	s := hop.NewServer(d)
	for _, k := range keys {
		if err := d.Register(k, s, ropts...); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := d.Close(timeout(t, 10*time.Second)); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d, s
}

// settle checks, once every call has ended, that each span the interceptor
// started ended exactly once, and that the metrics count what the spans
// show: want spans in all, wantErrs of them failed.
func (a *adversary) settle(t *testing.T, want, wantErrs int) {
	t.Helper()
	a.ends.mu.Lock()
	for id, n := range a.ends.ends {
		if n != 1 {
			t.Errorf("span %v ended %d times, want once", id, n)
		}
	}
	started := len(a.ends.ends)
	a.ends.mu.Unlock()
	if started != want {
		t.Errorf("%d spans started, want %d", started, want)
	}
	var failed int
	for _, s := range a.spans.Ended() {
		if s.Status().Code == codes.Error {
			failed++
			if v, ok := attr(s, semconv.ErrorTypeKey); !ok || v.AsString() == "" {
				t.Errorf("%s failed without an error.type", s.Name())
			}
		}
	}
	if failed != wantErrs {
		t.Errorf("%d spans failed, want %d", failed, wantErrs)
	}
	rm := a.collect(t)
	if n := counted(t, rm, "dispatch.calls"); n != int64(want) {
		t.Errorf("dispatch.calls %d, want %d", n, want)
	}
	if n := counted(t, rm, "dispatch.errors"); n != int64(wantErrs) {
		t.Errorf("dispatch.errors %d, want %d", n, wantErrs)
	}
	for _, h := range []string{"dispatch.call.duration", "dispatch.queue.wait"} {
		if count, _ := histogram(t, rm, h); count != uint64(want) {
			t.Errorf("%s has %d points, want %d", h, count, want)
		}
	}
}

// TestAdversaryInline runs calls made with context.Background(), which run
// on the caller's goroutine, in every way a method ends, runtime.Goexit
// on a goroutine of the test's since it ends the caller's.
func TestAdversaryInline(t *testing.T) {
	a := newAdversary(t)
	d, _ := a.dispatcher(t, nil, nil, nil, "a")
	bg := context.Background()
	if got, err := d.To("a").Do(bg, "ok"); err != nil || got != "ok" {
		t.Fatalf("Do ok: %q, %v", got, err)
	}
	if _, err := d.To("a").Do(bg, "fail"); !errors.Is(err, hop.ErrStep) {
		t.Fatalf("Do fail: %v", err)
	}
	if _, err := d.To("a").Do(bg, "panic"); !errors.As(err, new(*runtime.PanicError)) {
		t.Fatalf("Do panic: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = d.To("a").Do(bg, "goexit")
	}()
	<-done
	if err := d.Flush(timeout(t, 10*time.Second), "a"); err != nil {
		t.Fatal(err)
	}
	a.settle(t, 4, 3)
	checkGoexitSpans(t, a.ended("Hop.Do"))
}

// checkGoexitSpans checks that the spans of methods that called
// runtime.Goexit say so, as their callers' errors do.
func checkGoexitSpans(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	n := 0
	for _, sp := range spans {
		if strings.Contains(sp.Status().Description, runtime.ErrGoexit.Error()) {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no span's status names runtime.Goexit: %v", spans)
	}
}

// TestAdversaryEveryPath runs calls through the mailbox, on the recipient's
// goroutine, for a recipient served on demand and one with a dedicated
// goroutine: synchronous, asynchronous, abandoned futures and one-way
// messages, each ending in every way a method can.
func TestAdversaryEveryPath(t *testing.T) {
	for name, ropts := range map[string][]runtime.RecipientOption{
		"on demand": nil,
		"dedicated": {runtime.WithDedicatedGoroutine()},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAdversary(t)
			d, s := a.dispatcher(t, nil, nil, ropts, "a")
			ctx := timeout(t, 10*time.Second)
			steps := []string{"ok", "fail", "panic", "goexit"}
			for _, step := range steps {
				if _, err := d.To("a").Do(ctx, step); (err == nil) != (step == "ok") {
					t.Fatalf("Do %s: %v", step, err)
				}
				if _, err := d.To("a").DoAsync(ctx, step).Await(ctx); (err == nil) != (step == "ok") {
					t.Fatalf("DoAsync %s: %v", step, err)
				}
				_ = d.To("a").DoAsync(ctx, step) // abandoned
				_ = d.To("a").DoAsync(context.Background(), step)
				d.To("a").Note(ctx, step)
			}
			if err := d.Flush(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			// Note sends to Noted only when its Do returns: ok and fail.
			for range 2 {
				<-s.Noted
			}
			// Note ignores its Do's error: only its panic and Goexit fail it.
			a.settle(t, 5*len(steps), 4*(len(steps)-1)+2)
			for _, sp := range a.ended("Hop.Note") {
				if v, _ := attr(sp, dispatchotel.AttrOneWay); !v.AsBool() {
					t.Errorf("Hop.Note not one-way")
				}
			}
		})
	}
}

// TestAdversaryQueuedNeverRun checks that a call whose context ends while
// it is queued, which never runs, leaves no span open and counts nothing,
// for a synchronous call and an asynchronous one.
func TestAdversaryQueuedNeverRun(t *testing.T) {
	a := newAdversary(t)
	d, s := a.dispatcher(t, nil, nil, nil, "a")
	ctx := timeout(t, 10*time.Second)
	blocked := d.To("a").DoAsync(ctx, "block")
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := d.To("a").Do(short, "ok"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do queued: %v", err)
	}
	short2, cancel2 := context.WithCancel(ctx)
	f := d.To("a").DoAsync(short2, "ok")
	cancel2()
	if _, err := f.Await(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("DoAsync queued: %v", err)
	}
	close(s.Release)
	if _, err := blocked.Await(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	a.settle(t, 1, 0)
}

// TestAdversaryRejected checks that calls refused before they reach a
// recipient make no span and count as no call.
func TestAdversaryRejected(t *testing.T) {
	a := newAdversary(t)
	d, s := a.dispatcher(t, nil, nil, []runtime.RecipientOption{runtime.WithMailboxSize(2), runtime.WithFailFast()}, "a")
	ctx := timeout(t, 10*time.Second)
	blocked := d.To("a").DoAsync(ctx, "block")
	// Wait for it to run: it holds one of the mailbox's two places.
	for d.Stats()["a"].Queued != 1 || len(a.spans.Started()) == 0 {
		time.Sleep(time.Millisecond)
	}
	queued := d.To("a").DoAsync(ctx, "ok")
	var full int
	for range 3 {
		if _, err := d.To("a").Do(ctx, "ok"); errors.Is(err, runtime.ErrMailboxFull) {
			full++
		}
	}
	if full == 0 {
		t.Fatal("no call was refused with ErrMailboxFull")
	}
	if _, err := d.To("nobody").Do(ctx, "ok"); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Fatalf("Do to nobody: %v", err)
	}
	d.To("nobody").Note(ctx, "ok")
	close(s.Release)
	for _, f := range []*runtime.Future[string]{blocked, queued} {
		if _, err := f.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.To("a").Do(ctx, "ok"); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
	a.settle(t, 2, 0)
}

// TestAdversaryStopOnPanic checks a recipient registered WithStopOnPanic:
// the calls behind the panic fail with ErrClosed without running.
func TestAdversaryStopOnPanic(t *testing.T) {
	a := newAdversary(t)
	d, s := a.dispatcher(t, nil, nil, []runtime.RecipientOption{runtime.WithStopOnPanic()}, "a")
	ctx := timeout(t, 10*time.Second)
	first := d.To("a").DoAsync(ctx, "block")
	panics := d.To("a").DoAsync(ctx, "panic")
	behind := d.To("a").DoAsync(ctx, "ok")
	close(s.Release)
	if _, err := first.Await(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := panics.Await(ctx); !errors.As(err, new(*runtime.PanicError)) {
		t.Fatalf("panic: %v", err)
	}
	if _, err := behind.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("behind the panic: %v", err)
	}
	a.settle(t, 2, 1)
}

// TestAdversaryUnregisterDuringCall unregisters a recipient, and closes a
// dispatcher, while a call runs and others wait: the running one's span
// ends when it returns, the others never start.
func TestAdversaryUnregisterDuringCall(t *testing.T) {
	for _, closing := range []bool{false, true} {
		a := newAdversary(t)
		d, s := a.dispatcher(t, nil, nil, nil, "a")
		ctx := timeout(t, 10*time.Second)
		running := d.To("a").DoAsync(ctx, "block")
		for len(a.spans.Started()) == 0 {
			time.Sleep(time.Millisecond)
		}
		queued := d.To("a").DoAsync(ctx, "ok")
		d.To("a").Note(ctx, "ok")
		stop, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		var err error
		if closing {
			err = d.Close(stop)
		} else {
			err = d.Unregister(stop, "a")
		}
		cancel()
		if err == nil {
			t.Fatalf("stop with a call blocked returned nil")
		}
		if _, err := queued.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
			t.Fatalf("queued: %v", err)
		}
		close(s.Release)
		if _, err := running.Await(ctx); err != nil {
			t.Fatalf("running: %v", err)
		}
		// Its span ends after its caller has its result.
		for deadline := time.Now().Add(5 * time.Second); len(a.spans.Ended()) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		a.settle(t, 1, 0)
	}
}
