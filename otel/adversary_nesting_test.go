package dispatchotel_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// TestAdversaryStacked stacks interceptors with the otel one: outer ones
// that do not call next (no span), inner ones that panic, do not call
// next, or call it twice.
func TestAdversaryStacked(t *testing.T) {
	errOuter := errors.New("outer refused")
	refuse := func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
		return errOuter
	}
	panics := func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
		panic("inner interceptor")
	}
	twice := func(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
		_ = next(ctx)
		return next(ctx)
	}
	ctx := timeout(t, 10*time.Second)

	t.Run("outer refuses", func(t *testing.T) {
		a := newAdversary(t)
		d, _ := a.dispatcher(t, []runtime.Interceptor{refuse}, nil, nil, "a")
		if _, err := d.To("a").Do(ctx, "ok"); !errors.Is(err, errOuter) {
			t.Fatalf("Do: %v", err)
		}
		a.settle(t, 0, 0)
	})
	t.Run("inner refuses", func(t *testing.T) {
		a := newAdversary(t)
		d, _ := a.dispatcher(t, nil, []runtime.Interceptor{refuse}, nil, "a")
		if _, err := d.To("a").Do(ctx, "ok"); !errors.Is(err, errOuter) {
			t.Fatalf("Do: %v", err)
		}
		a.settle(t, 1, 1)
	})
	t.Run("inner panics", func(t *testing.T) {
		a := newAdversary(t)
		d, _ := a.dispatcher(t, nil, []runtime.Interceptor{panics}, nil, "a")
		for _, c := range []context.Context{ctx, context.Background()} {
			if _, err := d.To("a").Do(c, "ok"); !errors.As(err, new(*runtime.PanicError)) {
				t.Fatalf("Do: %v", err)
			}
		}
		a.settle(t, 2, 2)
		for _, sp := range a.ended("Hop.Do") {
			if v, _ := attr(sp, semconv.ErrorTypeKey); v.AsString() != "panic" {
				t.Errorf("error.type %q, want panic", v.AsString())
			}
			// The span says what the caller is told: the panic's value.
			if d := sp.Status().Description; !strings.Contains(d, "inner interceptor") {
				t.Errorf("status %q, want the panic's value", d)
			}
		}
	})
	t.Run("inner twice", func(t *testing.T) {
		a := newAdversary(t)
		d, _ := a.dispatcher(t, nil, []runtime.Interceptor{twice}, nil, "a")
		if _, err := d.To("a").Do(ctx, "ok"); err == nil {
			t.Fatalf("Do with next called twice: no error")
		}
		a.settle(t, 1, 1)
	})
}

// TestAdversaryReentrant checks parent and child through a call a method
// makes, for every way of sending: inline (context.Background()), through
// the mailbox, and a deadlock, which fails the outer call's span only.
func TestAdversaryReentrant(t *testing.T) {
	for name, ctx := range map[string]context.Context{"inline": context.Background(), "mailbox": timeout(t, 10*time.Second)} {
		t.Run(name, func(t *testing.T) {
			a := newAdversary(t)
			d, _ := a.dispatcher(t, nil, nil, nil, "a", "b")
			if got, err := d.To("a").Relay(ctx, "b", "ok"); err != nil || got != "ok" {
				t.Fatalf("Relay: %q, %v", got, err)
			}
			relay, do := a.only(t, "Hop.Relay"), a.only(t, "Hop.Do")
			if do.Parent().SpanID() != relay.SpanContext().SpanID() || do.SpanContext().TraceID() != relay.SpanContext().TraceID() {
				t.Errorf("Hop.Do's parent %v, want Hop.Relay's %v", do.Parent().SpanID(), relay.SpanContext().SpanID())
			}
			if _, err := d.To("a").Relay(ctx, "a", "ok"); !errors.Is(err, runtime.ErrDeadlock) {
				t.Fatalf("Relay to itself: %v", err)
			}
			a.settle(t, 3, 1)
			var kinds []string
			for _, sp := range a.ended("Hop.Relay") {
				if v, ok := attr(sp, semconv.ErrorTypeKey); ok {
					kinds = append(kinds, v.AsString())
				}
			}
			if len(kinds) != 1 || kinds[0] != "deadlock" {
				t.Errorf("error.type of Hop.Relay spans %v, want [deadlock]", kinds)
			}
		})
	}
}
