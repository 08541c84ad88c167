package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

func TestInterceptors(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var trace []string
	record := func(name string) runtime.Interceptor {
		return func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
			mu.Lock()
			trace = append(trace, fmt.Sprintf("%s>%s[%v].%s oneway=%v", name, info.Recipient, info.Key, info.Method, info.OneWay))
			mu.Unlock()
			err := next(ctx)
			mu.Lock()
			trace = append(trace, fmt.Sprintf("%s<%v", name, err))
			mu.Unlock()
			return err
		}
	}
	d := newDispatcher(t, runtime.WithInterceptors(record("outer"), record("inner")))
	w, _ := gatedWorker("w")
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	if _, err := d.To("w").Do(ctx, Job{}); err != nil {
		t.Fatal(err)
	}
	var pe *runtime.PanicError
	if _, err := d.To("w").DoAsync(ctx, Job{Seq: seqPanic}).Await(ctx); !errors.As(err, &pe) {
		t.Fatalf("panicking call through interceptors: err = %v, want *PanicError", err)
	}
	await(t, "one-way", func() {
		d.To("w").Tell(ctx, "x")
		_ = d.To("w").Ping(ctx) // the one-way message has run once this returns
	})
	mu.Lock()
	got := strings.Join(trace, "\n")
	mu.Unlock()
	want := strings.Join([]string{
		"outer>Worker[w].Do oneway=false", "inner>Worker[w].Do oneway=false", "inner<<nil>", "outer<<nil>",
		"outer>Worker[w].Do oneway=false", "inner>Worker[w].Do oneway=false",
		"inner<" + pe.Error(), "outer<" + pe.Error(),
		"outer>Worker[w].Tell oneway=true", "inner>Worker[w].Tell oneway=true", "inner<<nil>", "outer<<nil>",
		"outer>Worker[w].Ping oneway=false", "inner>Worker[w].Ping oneway=false", "inner<<nil>", "outer<<nil>",
	}, "\n")
	if got != want {
		t.Errorf("trace:\n%s\nwant:\n%s", got, want)
	}
}

func TestInterceptorDecides(t *testing.T) {
	ctx := context.Background()
	errDenied := errors.New("denied")
	d := newDispatcher(t, runtime.WithInterceptors(func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
		switch info.Method {
		case "Ping":
			return errDenied // the method does not run
		case "Pair":
			if err := next(ctx); err != nil {
				return err
			}
			return next(ctx) // a second next is refused
		}
		return next(ctx)
	}))
	w := newTestWorker("w")
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	if err := d.To("w").Ping(ctx); !errors.Is(err, errDenied) {
		t.Errorf("Ping: err = %v, want the interceptor's error", err)
	}
	if _, _, err := d.To("w").Pair(ctx, 1, 2); err == nil || !strings.Contains(err.Error(), "next more than once") {
		t.Errorf("Pair: err = %v, want a report of next called twice", err)
	}
	if _, err := d.To("w").Do(ctx, Job{}); err != nil {
		t.Fatal(err)
	}
	if w.seen != 2 {
		t.Errorf("the worker ran %d methods, want 2 (Pair once, Do once)", w.seen)
	}
}

func TestInterceptorPanicIsContained(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t, runtime.WithInterceptors(func(context.Context, runtime.CallInfo, func(context.Context) error) error {
		panic("in interceptor")
	}))
	if err := d.Register("w", newTestWorker("w")); err != nil {
		t.Fatal(err)
	}
	var pe *runtime.PanicError
	if _, err := d.To("w").Do(ctx, Job{}); !errors.As(err, &pe) || pe.Value != "in interceptor" {
		t.Errorf("err = %v, want *PanicError from the interceptor", err)
	}
}

func TestDefaultDeadLetterLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	d := newDispatcher(t, runtime.WithLogger(logger))
	d.To("nobody").Tell(context.Background(), "lost")
	got := buf.String()
	for _, want := range []string{"level=WARN", "undelivered one-way message", "recipient=Worker", "key=nobody", "method=Tell", "no recipient registered"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q does not contain %q", got, want)
		}
	}
}

// Interceptors see when each message was sent, on every path: a call run
// on its caller, a call through the mailbox, an asynchronous call and a
// one-way message, the last two held behind a busy method.
func TestInterceptorSeesEnqueueTime(t *testing.T) {
	type seen struct {
		method string
		waited time.Duration
	}
	got := make(chan seen, 10)
	d := newDispatcher(t, runtime.WithInterceptors(func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
		if info.Enqueued.IsZero() {
			t.Errorf("%s: CallInfo.Enqueued is zero", info.Method)
		}
		got <- seen{info.Method, time.Since(info.Enqueued)}
		return next(ctx)
	}))
	w, g := gatedWorker("w")
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.To("w").Do(ctx, Job{}); err != nil { // inline
		t.Fatal(err)
	}
	<-got
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := d.To("w").Do(cctx, Job{}); err != nil { // through the mailbox
		t.Fatal(err)
	}
	<-got
	hold(t, d, "w", g)
	<-got
	f := d.To("w").PairAsync(ctx, 1, 2)
	d.To("w").Tell(ctx, "n")
	const held = 20 * time.Millisecond
	time.Sleep(held)
	g.release()
	if _, err := f.Await(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Pair", "Tell"} {
		s := <-got
		if s.method != want || s.waited < held {
			t.Errorf("%s seen after waiting %v; want %s, which waited at least %v behind the held call", s.method, s.waited, want, held)
		}
	}
}
