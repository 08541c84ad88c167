package types

import (
	"context"
	"io"
	"iter"
	"net/http"
	"strings"
	"testing"
	"time"
)

type kitchen struct{}

func (kitchen) Basic(_ context.Context, b byte, r rune, a any, u uintptr, c complex128) (string, error) {
	return string([]rune{rune(b), r}) + a.(string), nil
}

func (kitchen) Aliased(_ context.Context, t Celsius, d time.Duration) (Celsius, error) {
	return t + Celsius(d.Seconds()), nil
}

func (kitchen) Other(_ context.Context, w io.Writer, req *http.Request, _ time.Time) (*http.Response, error) {
	_, err := io.WriteString(w, req.Method)
	return &http.Response{StatusCode: 200}, err
}

func (kitchen) Composite(_ context.Context, p *int, s []string, a [4]byte, m map[string][]int) (map[Celsius]*[2]bool, error) {
	return map[Celsius]*[2]bool{Celsius(*p + len(s) + int(a[0]) + len(m)): {true, false}}, nil
}

func (kitchen) Funcs(_ context.Context, f func(int, ...string) (bool, error), g func()) (func() int, error) {
	g()
	ok, err := f(1, "a", "b")
	return func() int {
		if ok {
			return 1
		}
		return 0
	}, err
}

func (kitchen) Chans(_ context.Context, in <-chan int, out chan<- int, both chan (<-chan int), nested chan<- <-chan int) (<-chan error, error) {
	out <- <-in
	errs := make(chan error, 1)
	errs <- nil
	return errs, nil
}

func (kitchen) Anonymous(_ context.Context, v struct {
	X int `json:"x"`
	Y int
	io.Reader
}) (struct{ OK bool }, error) {
	return struct{ OK bool }{v.X+v.Y == 3}, nil
}

func (kitchen) Generic(_ context.Context, p Pair[int, string], seq iter.Seq2[string, int]) (Pair[string, []Pair[int, int]], error) {
	n := 0
	for _, v := range seq {
		n += v
	}
	return Pair[string, []Pair[int, int]]{First: p.Second, Second: []Pair[int, int]{{p.First, n}}}, nil
}

type named struct{ io.Closer }

func (named) Name() string { return "n" }

func (kitchen) Iface(_ context.Context, v interface {
	io.Closer
	Name() string
}) (interface{ Done() <-chan struct{} }, error) {
	return context.Background(), v.Close()
}

func TestEveryType(t *testing.T) {
	ctx := context.Background()
	d := NewKitchenDispatcher()
	if err := d.Register("k", kitchen{}); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	k := d.To("k")
	if s, err := k.Basic(ctx, 'a', 'b', "c", 0, 0); err != nil || s != "abc" {
		t.Errorf("Basic = %q, %v", s, err)
	}
	if c, err := k.Aliased(ctx, 1.5, 2*time.Second); err != nil || c != 3.5 {
		t.Errorf("Aliased = %v, %v", c, err)
	}
	var sb strings.Builder
	req, _ := http.NewRequest("PUT", "http://example.com", nil)
	if resp, err := k.Other(ctx, &sb, req, time.Time{}); err != nil || resp.StatusCode != 200 || sb.String() != "PUT" {
		t.Errorf("Other = %v, %v, %q", resp, err, sb.String())
	}
	one := 1
	if m, err := k.Composite(ctx, &one, []string{"x"}, [4]byte{1}, map[string][]int{"a": nil}); err != nil || m[4] == nil {
		t.Errorf("Composite = %v, %v", m, err)
	}
	called := false
	f, err := k.Funcs(ctx, func(n int, s ...string) (bool, error) { return n == 1 && len(s) == 2, nil }, func() { called = true })
	if err != nil || f() != 1 || !called {
		t.Errorf("Funcs: %v, called %v", err, called)
	}
	in, out := make(chan int, 1), make(chan int, 1)
	in <- 7
	if errs, err := k.Chans(ctx, in, out, nil, nil); err != nil || <-out != 7 || <-errs != nil {
		t.Errorf("Chans: %v", err)
	}
	v := struct {
		X int `json:"x"`
		Y int
		io.Reader
	}{X: 1, Y: 2}
	if r, err := k.AnonymousAsync(ctx, v).Await(ctx); err != nil || !r.OK {
		t.Errorf("Anonymous = %v, %v", r, err)
	}
	seq := func(yield func(string, int) bool) { _ = yield("a", 2) && yield("b", 3) }
	if p, err := k.Generic(ctx, Pair[int, string]{1, "s"}, seq); err != nil || p.First != "s" || p.Second[0].Second != 5 {
		t.Errorf("Generic = %+v, %v", p, err)
	}
	if done, err := k.Iface(ctx, named{io.NopCloser(nil)}); err != nil || done == nil {
		t.Errorf("Iface = %v, %v", done, err)
	}
}
