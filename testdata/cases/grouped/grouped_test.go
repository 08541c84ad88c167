package grouped

import (
	"context"
	"testing"
)

type store struct{ s string }

func (s *store) Read(context.Context) (string, error)    { return s.s, nil }
func (s *store) Write(_ context.Context, v string) error { s.s = v; return nil }

type counter struct{ n int }

func (c *counter) Add(_ context.Context, n int) (int, error) { c.n += n; return c.n, nil }

func TestGrouped(t *testing.T) {
	ctx := context.Background()
	s := &store{}
	r, w, c := NewReaderDispatcher(), NewWriterDispatcher(), NewCounterDispatcher()
	if err := r.Register(1, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Register(1, s); err != nil {
		t.Fatal(err)
	}
	if err := c.Register("c", &counter{}); err != nil {
		t.Fatal(err)
	}
	if err := w.To(1).Write(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if v, err := r.To(1).Read(ctx); err != nil || v != "x" {
		t.Errorf("Read = %q, %v", v, err)
	}
	if n, err := c.To("c").Add(ctx, 2); err != nil || n != 2 {
		t.Errorf("Add = %d, %v", n, err)
	}
	for _, close := range []func(context.Context) error{r.Close, w.Close, c.Close} {
		if err := close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
