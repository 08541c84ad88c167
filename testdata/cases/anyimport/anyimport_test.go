package anyimport

import (
	"context"
	"testing"

	"github.com/dispatchgen/dispatchgen/testdata/cases/anyimport/any"
)

type box struct{ v any.Value }

func (b *box) Put(_ context.Context, v any.Value) error { b.v = v; return nil }
func (b *box) Get(context.Context) (any.Value, error)   { return b.v, nil }

func TestBox(t *testing.T) {
	ctx := context.Background()
	d := NewBoxDispatcher()
	if err := d.Register("b", &box{}); err != nil {
		t.Fatal(err)
	}
	if err := d.To("b").Put(ctx, any.Value{N: 7}); err != nil {
		t.Fatal(err)
	}
	if v, err := d.To("b").GetAsync(ctx).Await(ctx); err != nil || v.N != 7 {
		t.Errorf("Get = %v, %v, want 7", v, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
