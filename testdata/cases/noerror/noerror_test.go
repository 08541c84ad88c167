package noerror

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

type gauge struct{ n, lo, hi int }

func (g *gauge) Size() int {
	if g.n == 13 {
		panic("unlucky")
	}
	return g.n
}

func (g *gauge) Span(context.Context) (int, int) { return g.lo, g.hi }

func (g *gauge) Add(_ context.Context, n int) (int, error) {
	g.n += n
	g.lo, g.hi = min(g.lo, g.n), max(g.hi, g.n)
	return g.n, nil
}

func (g *gauge) Reset() { g.n = 0 }

// callError runs f and returns what it panicked with, as a *GaugeCallError.
func callError(t *testing.T, f func()) (ce *GaugeCallError) {
	t.Helper()
	defer func() {
		v := recover()
		err, _ := v.(error)
		if !errors.As(err, &ce) {
			t.Fatalf("panicked with %v, want a *GaugeCallError", v)
		}
	}()
	f()
	return nil
}

func TestNoError(t *testing.T) {
	ctx := context.Background()
	d := NewGaugeDispatcher()
	if err := d.Register(1, &gauge{}); err != nil {
		t.Fatal(err)
	}
	g := d.To(1)
	if _, err := g.Add(ctx, 5); err != nil {
		t.Fatal(err)
	}
	g.Add(ctx, -7)
	if n := g.Size(); n != -2 {
		t.Errorf("Size = %d, want -2", n)
	}
	if lo, hi := g.Span(ctx); lo != -2 || hi != 5 {
		t.Errorf("Span = %d, %d, want -2, 5", lo, hi)
	}
	if s, err := g.SpanAsync(ctx).Await(ctx); err != nil || s.Lo != -2 || s.Hi != 5 {
		t.Errorf("SpanAsync = %+v, %v", s, err)
	}

	// The recipient panics: Size panics with the call's error, which holds
	// the recipient's panic; SizeAsync returns it.
	g.Add(ctx, 15)
	ce := callError(t, func() { g.Size() })
	var pe *runtime.PanicError
	if ce.Key != 1 || ce.Method != "Size" || !errors.As(ce, &pe) || pe.Value != "unlucky" {
		t.Errorf("Size panicked with %v (key %v, method %q)", ce, ce.Key, ce.Method)
	}
	if _, err := g.SizeAsync().Await(ctx); !errors.As(err, &pe) {
		t.Errorf("SizeAsync: err = %v, want a *runtime.PanicError", err)
	}
	g.Reset()
	if n := g.Size(); n != 0 {
		t.Errorf("Size after Reset = %d", n)
	}

	// Nothing is registered under 2.
	ce = callError(t, func() { d.To(2).Span(ctx) })
	if ce.Key != 2 || ce.Method != "Span" || !errors.Is(ce, runtime.ErrNoRecipient) {
		t.Errorf("Span of 2 panicked with %v", ce)
	}
	if want := "Gauge[2].Span: " + ce.Err.Error(); ce.Error() != want {
		t.Errorf("Error() = %q, want %q", ce.Error(), want)
	}
	if _, err := d.To(2).SizeAsync().Await(ctx); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("SizeAsync of 2: err = %v", err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ce = callError(t, func() { g.Size() })
	if !errors.Is(ce, runtime.ErrClosed) {
		t.Errorf("Size after Close panicked with %v", ce)
	}
}
