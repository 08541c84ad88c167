package natsdispatch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// Every sentinel, the context errors, a panic, a listed application error
// and an unlisted one cross the wire as themselves, or as their text.
func TestErrorsAcrossTheWire(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv, WithErrors(errListed))
	caller := startNode(t, srv, WithErrors(errListed))
	unaware := startNode(t, srv) // lists nothing
	bind(t, host, newFake("host"), "k")
	out := bind(t, caller, newFake("caller"))
	outUnaware := bind(t, unaware, newFake("unaware"))
	ctx := timeout(t, 10*time.Second)

	for _, s := range sentinels {
		t.Run(s.name, func(t *testing.T) {
			err := call(ctx, out, "k", "Fail", &echoArgs{Text: s.name}, nil)
			if !errors.Is(err, s.err) {
				t.Fatalf("got %v, want an error that is %v", err, s.err)
			}
			var re *RemoteError
			if !errors.As(err, &re) || re.Code != s.code || re.Key != "k" || re.Method != "Fail" || re.Interface != "Echo" {
				t.Fatalf("got %#v, want a *RemoteError of code %d for Echo[k].Fail", err, s.code)
			}
			for _, other := range sentinels {
				if other.err != s.err && errors.Is(err, other.err) {
					t.Errorf("the error is also %v", other.err)
				}
			}
		})
	}
	t.Run("panic", func(t *testing.T) {
		err := call(ctx, out, "k", "Fail", &echoArgs{Text: "panic"}, nil)
		var pe *runtime.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("got %v, want a *runtime.PanicError", err)
		}
		if pe.Value != "boom" || pe.Recipient != "Echo" || pe.Key != "k" || pe.Method != "Fail" || string(pe.Stack) != "fake stack" {
			t.Errorf("got %+v", pe)
		}
	})
	t.Run("listed", func(t *testing.T) {
		err := call(ctx, out, "k", "Fail", &echoArgs{Text: "listed"}, nil)
		if !errors.Is(err, errListed) {
			t.Errorf("got %v, want an error that is errListed", err)
		}
		err = call(ctx, outUnaware, "k", "Fail", &echoArgs{Text: "listed"}, nil)
		if err == nil || errors.Is(err, errListed) || !strings.Contains(err.Error(), errListed.Error()) {
			t.Errorf("a caller that does not list it got %v, want its text only", err)
		}
	})
	t.Run("unlisted", func(t *testing.T) {
		err := call(ctx, out, "k", "Fail", &echoArgs{Text: "unlisted"}, nil)
		if err == nil || !strings.Contains(err.Error(), "something unlisted went wrong") {
			t.Fatalf("got %v, want the remote error's text", err)
		}
		var re *RemoteError
		if !errors.As(err, &re) || len(re.Unwrap()) != 0 || re.Code != 500 {
			t.Errorf("got %#v, want a *RemoteError of code 500 that wraps nothing", err)
		}
	})
}

// A caller's deadline travels with the call; the hosting node cuts it to
// its own WithMaxTimeout.
func TestDeadlines(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	strict := startNode(t, srv, WithMaxTimeout(300*time.Millisecond), WithPrefix("strict"))
	caller, callerStrict := startNode(t, srv), startNode(t, srv, WithPrefix("strict"))
	bind(t, host, newFake("host"), "k")
	bind(t, strict, newFake("strict"), "k")
	out, outStrict := bind(t, caller, newFake("caller")), bind(t, callerStrict, newFake("caller"))

	t.Run("caller's", func(t *testing.T) {
		start := time.Now()
		err := call(timeout(t, 100*time.Millisecond), out, "k", "Wait", &echoArgs{}, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v for a 100ms deadline", d)
		}
	})
	t.Run("clamped", func(t *testing.T) {
		start := time.Now()
		err := call(timeout(t, 30*time.Second), outStrict, "k", "Wait", &echoArgs{}, nil)
		var re *RemoteError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &re) {
			t.Fatalf("got %v, want the host's DeadlineExceeded", err)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
			t.Errorf("took %v, for a host that allows 300ms", d)
		}
	})
	t.Run("ended", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		before := host.links["Echo"].calls.Load()
		if err := call(ctx, out, "k", "Echo", &echoArgs{}, &echoResult{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want Canceled", err)
		}
		failed := make(chan error, 1)
		send(ctx, out, "k", "Note", &echoArgs{}, func(err error) { failed <- err })
		if err := <-failed; !errors.Is(err, context.Canceled) {
			t.Fatalf("send got %v, want Canceled", err)
		}
		time.Sleep(50 * time.Millisecond)
		if after := host.links["Echo"].calls.Load() + host.links["Echo"].oneWay.Load(); after != before {
			t.Errorf("the host received %d messages sent with an ended context", after-before)
		}
	})
}

// route makes the fake's Echo follow args.Text, a comma-separated list of
// keys: each recipient calls the next through out, with the chain it was
// given followed by itself, as the runtime does.
func route(f *fakeService, out func() runtime.Link) {
	f.handlers["Echo"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		var a echoArgs
		if err := in.Decode(&a); err != nil {
			return nil, err
		}
		if a.Text == "" {
			return &echoResult{Key: key, Node: f.name}, nil
		}
		next, rest, _ := strings.Cut(a.Text, ",")
		chain := append(append([]string(nil), in.Chain...), f.iface+"."+key)
		var res echoResult
		if err := call(ctx, out(), next, "Echo", &echoArgs{Text: rest}, &res, chain...); err != nil {
			return nil, err
		}
		res.Text = key + ">" + res.Text
		return &res, nil
	}
}

// A cycle across two processes fails with ErrDeadlock, at once; a chain
// that passes through a process twice without a cycle does not.
func TestCycleAcrossProcesses(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	nodeA := startNode(t, srv)
	nodeB := startNode(t, srv)
	caller := startNode(t, srv)
	fa, fb := newFake("A"), newFake("B")
	var la, lb runtime.Link
	route(fa, func() runtime.Link { return la })
	route(fb, func() runtime.Link { return lb })
	la = bind(t, nodeA, fa, "a", "c")
	lb = bind(t, nodeB, fb, "b")
	out := bind(t, caller, newFake("caller"))

	start := time.Now()
	err := call(timeout(t, 30*time.Second), out, "a", "Echo", &echoArgs{Text: "b,a"}, &echoResult{})
	if !errors.Is(err, runtime.ErrDeadlock) {
		t.Fatalf("a→b→a: got %v, want ErrDeadlock", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a→b→a took %v to fail", d)
	}

	var res echoResult
	if err := call(timeout(t, 10*time.Second), out, "a", "Echo", &echoArgs{Text: "b,c"}, &res); err != nil {
		t.Fatalf("a→b→c, with a and c in one process: %v", err)
	}
	if res.Key != "c" || res.Node != "A" {
		t.Errorf("a→b→c ended at %q on %q", res.Key, res.Node)
	}

	long := make([]string, MaxChain+1)
	for i := range long {
		long[i] = "Echo.x"
	}
	if err := call(timeout(t, 10*time.Second), out, "a", "Echo", &echoArgs{}, &res, long...); !errors.Is(err, ErrChainTooLong) {
		t.Errorf("a chain of %d: got %v, want ErrChainTooLong", len(long), err)
	}
	if err := call(timeout(t, 10*time.Second), out, "a", "Echo", &echoArgs{}, &res, "Echo.a"); !errors.Is(err, runtime.ErrDeadlock) {
		t.Errorf("a call to a waiting on itself: got %v, want ErrDeadlock", err)
	}
}

// A caller that cancels its call ends the remote method's context too, as
// a cancellation does in one process.
func TestCancellationCrossesTheWire(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv, WithMaxTimeout(10*time.Second)) // bounds the test if it fails
	caller := startNode(t, srv)
	f := newFake("host")
	ended := make(chan error, 1)
	f.handlers["Wait"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}
	bind(t, host, f, "k")
	out := bind(t, caller, newFake("caller"))

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := call(ctx, out, "k", "Wait", &echoArgs{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the remote method's context ended with %v, want Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the remote method's context did not end when its caller canceled")
	}
}

// A call without a deadline, whose reply never comes, ends at the calling
// node's bound with an error that says its outcome is unknown.
func TestCallWithoutDeadlineEnds(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	caller := startNode(t, srv, WithMaxTimeout(200*time.Millisecond), WithLeaseTTL(MinLeaseTTL))
	out := bind(t, caller, newFake("caller"))
	swallow := connect(t, srv, false)
	sub, err := swallow.Subscribe("dispatch.Echo.ghost.*", func(*nats.Msg) {}) // never answers
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := swallow.Flush(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = call(context.Background(), out, "ghost", "Echo", &echoArgs{}, &echoResult{})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "unknown") {
		t.Fatalf("got %v, want DeadlineExceeded and an unknown outcome", err)
	}
	if d := time.Since(start); d < 1200*time.Millisecond || d > 3*time.Second {
		t.Errorf("ended after %v, for a bound of 200ms and a grace of %v", d, replyGrace)
	}
}
