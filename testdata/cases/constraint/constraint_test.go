package constraint

import (
	"context"
	"testing"
)

type acc struct{ sum float64 }

func (a *acc) Add(_ context.Context, x float64) (float64, error) { a.sum += x; return a.sum, nil }

type pair struct{}

func (pair) Set(context.Context, int, string) error { return nil }

func TestConstrained(t *testing.T) {
	ctx := context.Background()
	d := NewAccDispatcher[float64]()
	if err := d.Register("a", &acc{}); err != nil {
		t.Fatal(err)
	}
	d.To("a").Add(ctx, 1.5)
	if sum, err := d.To("a").Add(ctx, 2); err != nil || sum != 3.5 {
		t.Errorf("Add = %v, %v, want 3.5", sum, err)
	}
	p := NewPairDispatcher[int, string]()
	if err := p.Register("p", pair{}); err != nil {
		t.Fatal(err)
	}
	if err := p.To("p").Set(ctx, 1, "x"); err != nil {
		t.Error(err)
	}
	for _, close := range []func(context.Context) error{d.Close, p.Close} {
		if err := close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
