package remoteflag

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// binder records the services that dispatchers bind, and refuses their
// links' calls.
type binder struct{ services []runtime.Service }

func (b *binder) Bind(svc runtime.Service) (runtime.Link, error) {
	b.services = append(b.services, svc)
	return nil, errors.New("no link here")
}

// Both dispatchers are remote ones: each binds to its transport, under the
// interface's name, with its methods.
func TestFlagMakesRemote(t *testing.T) {
	var b binder
	g, c := NewGreeterDispatcher(runtime.WithTransport(&b)), NewCloserDispatcher(runtime.WithTransport(&b))
	defer g.Close(context.Background())
	defer c.Close(context.Background())
	if len(b.services) != 2 {
		t.Fatalf("%d dispatchers bound, want 2", len(b.services))
	}
	for i, want := range []string{"Greeter.Greet", "Closer.Close"} {
		s := b.services[i]
		if got := s.Interface() + "." + s.Methods()[0].Name; got != want || len(s.Methods()) != 1 {
			t.Errorf("bound %s with %v, want %s", s.Interface(), s.Methods(), want)
		}
	}
	if err := g.Register("g", greeter{}); err == nil || err.Error() != "no link here" {
		t.Errorf("Register on a dispatcher whose transport refused it: err = %v, want the transport's", err)
	}
}

type greeter struct{}

func (greeter) Greet(_ context.Context, name string) (string, error) { return "hi " + name, nil }
