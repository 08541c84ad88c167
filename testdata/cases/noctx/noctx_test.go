package noctx

import (
	"context"
	"sync"
	"testing"
)

type counter struct{ n int }

func (c *counter) Add(n int) (int, error) { c.n += n; return c.n, nil }
func (c *counter) Value() (int, error)    { return c.n, nil }
func (c *counter) Reset()                 { c.n = 0 }

func (c *counter) AddLater(n int, ctx context.Context) (int, error) {
	if ctx.Value(key{}) != "here" {
		return 0, context.Canceled
	}
	return c.Add(n)
}

type key struct{}

func TestNoContext(t *testing.T) {
	d := NewCounterDispatcher()
	if err := d.Register("c", &counter{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := d.To("c").Add(1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if v, err := d.To("c").ValueAsync().Await(context.Background()); v != 800 || err != nil {
		t.Errorf("Value = %d, %v", v, err)
	}
	ctx := context.WithValue(context.Background(), key{}, "here")
	if v, err := d.To("c").AddLater(1, ctx); v != 801 || err != nil {
		t.Errorf("AddLater = %d, %v; the context must travel with the call", v, err)
	}
	d.To("c").Reset()
	if v, _ := d.To("c").Value(); v != 0 {
		t.Errorf("after Reset: %d", v)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
