package unnamed

import (
	"context"
	"testing"
)

type store map[string]int

func (s store) Put(_ context.Context, k string, v int) error { s[k] = v; return nil }

func (s store) Get(_ context.Context, k string) (int, bool, error) {
	v, ok := s[k]
	return v, ok, nil
}

func (s store) Drop(_ context.Context, k string) { delete(s, k) }

func (s store) Mixed(_ context.Context, k string, add int) (int, error) { return s[k] + add, nil }

func TestUnnamed(t *testing.T) {
	ctx := context.Background()
	d := NewStoreDispatcher()
	if err := d.Register("s", store{}); err != nil {
		t.Fatal(err)
	}
	s := d.To("s")
	if err := s.Put(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(ctx, "a"); v != 1 || !ok || err != nil {
		t.Errorf("Get = %d, %v, %v", v, ok, err)
	}
	if r, err := s.GetAsync(ctx, "a").Await(ctx); r.R0 != 1 || !r.R1 || err != nil {
		t.Errorf("GetAsync = %+v, %v", r, err)
	}
	if v, err := s.Mixed(ctx, "a", 2); v != 3 || err != nil {
		t.Errorf("Mixed = %d, %v", v, err)
	}
	s.Drop(ctx, "a")
	if _, ok, _ := s.Get(ctx, "a"); ok {
		t.Error("Drop did not drop")
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
