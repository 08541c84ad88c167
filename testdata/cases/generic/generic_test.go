package generic

import (
	"context"
	"testing"
)

type cache[K comparable, V any] map[K]V

func (c cache[K, V]) Get(_ context.Context, k K) (V, bool, error) {
	v, ok := c[k]
	return v, ok, nil
}

func (c cache[K, V]) Put(_ context.Context, k K, v V) { c[k] = v }

func (c cache[K, V]) Sum(_ context.Context, xs []float64) (float64, error) {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s, nil
}

func TestGeneric(t *testing.T) {
	ctx := context.Background()
	d := NewCacheDispatcher[string, []byte, float64]()
	if err := d.Register("c", cache[string, []byte]{}); err != nil {
		t.Fatal(err)
	}
	var ref Cache[string, []byte, float64] = d.To("c")
	ref.Put(ctx, "a", []byte("x"))
	if v, ok, err := ref.Get(ctx, "a"); string(v) != "x" || !ok || err != nil {
		t.Errorf("Get = %q, %v, %v", v, ok, err)
	}
	res, err := d.To("c").GetAsync(ctx, "a").Await(ctx)
	if string(res.R0) != "x" || !res.R1 || err != nil {
		t.Errorf("GetAsync = %+v, %v", res, err)
	}
	if s, err := ref.Sum(ctx, []float64{1, 2.5}); s != 3.5 || err != nil {
		t.Errorf("Sum = %v, %v", s, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
