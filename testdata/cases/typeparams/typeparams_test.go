package typeparams

import (
	"context"
	"testing"
)

type impl struct{}

func (impl) Get(_ context.Context, v int) (int, error) { return v + 1, nil }

type locals struct{ told []string }

func (*locals) Swap(_ context.Context, a int, b string) (string, int, error) { return b, a, nil }
func (l *locals) Tell(_ context.Context, x, y, z, w string)                  { l.told = append(l.told, x+y+z+w) }

type res struct{}

func (res) Do(v int) (int, int, error) { return v, -v, nil }

type str struct{}

func (str) Echo(_ context.Context, s []byte) ([]byte, error) { return append(s, '!'), nil }

type same struct{}

func (same) Same(_ context.Context, a, b int) (bool, error) { return a == b, nil }

func TestRenamedLocals(t *testing.T) {
	ctx := context.Background()

	di := NewImplDispatcher[int]()
	if err := di.Register("a", impl{}); err != nil {
		t.Fatal(err)
	}
	if v, err := di.To("a").Get(ctx, 1); err != nil || v != 2 {
		t.Errorf("Impl.Get = %v, %v", v, err)
	}

	dl := NewLocalsDispatcher[int, string, string, int, string, string, string, string]()
	l := &locals{}
	if err := dl.Register("a", l); err != nil {
		t.Fatal(err)
	}
	if k, n, err := dl.To("a").Swap(ctx, 1, "x"); err != nil || k != "x" || n != 1 {
		t.Errorf("Locals.Swap = %v, %v, %v", k, n, err)
	}
	dl.To("a").Tell(ctx, "a", "b", "c", "d")

	dr := NewResDispatcher[int]()
	if err := dr.Register("a", res{}); err != nil {
		t.Fatal(err)
	}
	if a, b, err := dr.To("a").Do(3); err != nil || a != 3 || b != -3 {
		t.Errorf("Res.Do = %v, %v, %v", a, b, err)
	}

	ds := NewStringDispatcher[[]byte]()
	if err := ds.Register("a", str{}); err != nil {
		t.Fatal(err)
	}
	if s, err := ds.To("a").EchoAsync(ctx, []byte("hi")).Await(ctx); err != nil || string(s) != "hi!" {
		t.Errorf("String.Echo = %q, %v", s, err)
	}

	da := NewAnyDispatcher[int]()
	if err := da.Register("a", same{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := da.To("a").Same(ctx, 2, 2); err != nil || !ok {
		t.Errorf("Any.Same = %v, %v", ok, err)
	}

	for _, close := range []func(context.Context) error{di.Close, dl.Close, dr.Close, ds.Close, da.Close} {
		if err := close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(l.told) != 1 || l.told[0] != "abcd" {
		t.Errorf("Locals.Tell: told %q, want [abcd]", l.told)
	}
}
