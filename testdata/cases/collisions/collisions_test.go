package collisions

import (
	"context"
	"fmt"
	"testing"
)

type loader struct{}

func (loader) Get(_ context.Context, r, m, res, err string) (string, error) {
	return r + m + res + err, nil
}

func (loader) Put(_ context.Context, runtime, method, run int, d bool) (string, error) {
	return fmt.Sprint(runtime, method, run, d), nil
}

func (loader) Many(_ context.Context, key string, p0, p2 int) (string, int, error) {
	return key, p0 + p2, nil
}

func TestCollisions(t *testing.T) {
	ctx := context.Background()
	d := NewLoaderDispatcher()
	if err := d.Register("l", loader{}); err != nil {
		t.Fatal(err)
	}
	if s, err := d.To("l").Get(ctx, "a", "b", "c", "d"); s != "abcd" || err != nil {
		t.Errorf("Get = %q, %v", s, err)
	}
	if s, err := d.To("l").PutAsync(ctx, 1, 2, 3, true).Await(ctx); s != "1 2 3 true" || err != nil {
		t.Errorf("Put = %q, %v", s, err)
	}
	if r, err := d.To("l").ManyAsync(ctx, "k", 1, 2).Await(ctx); r.R0 != "k" || r.R1 != 3 || err != nil {
		t.Errorf("Many = %+v, %v", r, err)
	}
	if runtime == "" {
		t.Error("the package's own runtime variable is shadowed")
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
