package runtime_test

// Adversarial tests of a dispatcher made WithTransport, on the calling side
// and at the seam's lifecycle: Register's claim, calls, futures and one-way
// messages to keys held elsewhere, Unregister and Close releasing claims
// only once drained, and transports that call Done twice, late, from another
// goroutine or never. They reuse the hub of remote_test.go, wrapped by
// taTransport so that a test can watch and take over the Link, and the Echo
// dispatcher of remote_dispatch_test.go. The stated limit is run with
// -adversary only (see openFinding in stats_adversary_test.go).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// taTransport is the hub of remote_test.go seen by one dispatcher: it keeps
// the Service the dispatcher bound, logs what the dispatcher does on its
// Link, and lets a test take over Claim, Call and Send through the hooks.
// Hooks are set before the transport is used, or under mu.
type taTransport struct {
	h *hub

	mu  sync.Mutex
	svc runtime.Service
	// log is what the dispatcher did on the Link, and what the test's
	// recipients did, in order: "claim k", "release k", "close", ...
	log []string
	// released receives the key of every Release.
	released chan string
	// claim, if set, runs before the hub's Claim; its error fails the claim.
	claim func(key string) error
	// call and send, if set, take the RemoteCall instead of the hub.
	call func(c *runtime.RemoteCall)
	send func(c *runtime.RemoteCall)
	// closed says whether the Link's Close was given a live context with
	// a deadline.
	closedLive bool
}

func newTATransport(h *hub) *taTransport {
	return &taTransport{h: h, released: make(chan string, 1000)}
}

func (t *taTransport) Bind(svc runtime.Service) (runtime.Link, error) {
	inner, err := t.h.Bind(svc)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.svc = svc
	t.mu.Unlock()
	return &taLink{t: t, inner: inner}, nil
}

// note appends an event to the log.
func (t *taTransport) note(format string, args ...any) {
	t.mu.Lock()
	t.log = append(t.log, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// events returns the log.
func (t *taTransport) events() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.log)
}

// count returns how many times ev is in the log.
func (t *taTransport) count(ev string) int {
	n := 0
	for _, e := range t.events() {
		if e == ev {
			n++
		}
	}
	return n
}

// service returns the dispatcher as the transport sees it.
func (t *taTransport) service() runtime.Service {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.svc
}

type taLink struct {
	t     *taTransport
	inner runtime.Link
}

func (l *taLink) Claim(ctx context.Context, key string) error {
	l.t.mu.Lock()
	hook := l.t.claim
	l.t.mu.Unlock()
	if hook != nil {
		if err := hook(key); err != nil {
			return err
		}
	}
	err := l.inner.Claim(ctx, key)
	if err == nil {
		l.t.note("claim %s", key)
	}
	return err
}

func (l *taLink) Release(ctx context.Context, key string) error {
	l.t.note("release %s", key)
	select {
	case l.t.released <- key:
	default: // the log has it still
	}
	return l.inner.Release(ctx, key)
}

func (l *taLink) Call(c *runtime.RemoteCall) {
	l.t.mu.Lock()
	hook := l.t.call
	l.t.mu.Unlock()
	if hook != nil {
		hook(c)
		return
	}
	l.inner.Call(c)
}

func (l *taLink) Send(c *runtime.RemoteCall) {
	l.t.mu.Lock()
	hook := l.t.send
	l.t.mu.Unlock()
	if hook != nil {
		hook(c)
		return
	}
	l.inner.Send(c)
}

func (l *taLink) Close(ctx context.Context) error {
	l.t.mu.Lock()
	l.t.log = append(l.t.log, "close")
	_, dl := ctx.Deadline()
	l.t.closedLive = ctx.Err() == nil && dl
	l.t.mu.Unlock()
	return l.inner.Close(ctx)
}

// taOwner returns the link of the hub that holds the Echo key, or nil.
func taOwner(h *hub, key string) runtime.Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.owners["Echo."+key]; o != nil {
		return o
	}
	return nil
}

// taDispatcher returns a dispatcher on its own taTransport over h, closed,
// with a bounded context, when the test ends.
func taDispatcher(t *testing.T, h *hub, opts ...runtime.Option) (*EchoDispatcher, *taTransport) {
	t.Helper()
	tr := newTATransport(h)
	d := NewEchoDispatcher(append([]runtime.Option{runtime.WithTransport(tr)}, opts...)...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d, tr
}

// taEcho is an Echo whose Say of "hold" waits at g, when set, and then runs
// after, when set; every method it runs is logged in log, when set.
type taEcho struct {
	name  string
	g     *gate
	after func(ctx context.Context)
	log   *taTransport
	// slow is how long each method takes.
	slow  time.Duration
	says  atomic.Int64
	notes atomic.Int64
}

func (e *taEcho) Say(ctx context.Context, text string) (string, error) {
	e.says.Add(1)
	time.Sleep(e.slow)
	if text == "hold" && e.g != nil {
		e.g.wait()
		if e.after != nil {
			e.after(ctx)
		}
	}
	if e.log != nil {
		e.log.note("ran %s %s", e.name, text)
	}
	return e.name + ": " + text, nil
}

func (e *taEcho) Relay(ctx context.Context, to, text string) (string, error) {
	return "", nil
}

func (e *taEcho) Note(_ context.Context, text string) {
	e.notes.Add(1)
	time.Sleep(e.slow)
	if e.log != nil {
		e.log.note("ran %s note %s", e.name, text)
	}
}

// taHold makes a Say("hold") to key, with a context that can end so that it
// goes through the mailbox, and returns its future once the method waits at
// g.
func taHold(t *testing.T, d *EchoDispatcher, key string, g *gate) *runtime.Future[string] {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := d.To(key).SayAsync(ctx, "hold")
	select {
	case <-g.entered:
	case <-time.After(patience):
		t.Fatal("the held call never started")
	}
	t.Cleanup(g.release)
	return f
}

// taWaitRelease waits, for at most within, for a Release of key.
func taWaitRelease(tr *taTransport, key string, within time.Duration) bool {
	deadline := time.After(within)
	for {
		select {
		case k := <-tr.released:
			if k == key {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// Of Registers of one key that race, in several dispatchers (processes) and
// several goroutines of each, exactly one wins; the others fail with
// ErrDuplicateKey and hold nothing: no key here, no claim, no release.
func TestTransportAdvRacingRegistersOneWins(t *testing.T) {
	const procs, perProc = 4, 3
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	h := newHub()
	ds := make([]*EchoDispatcher, procs)
	trs := make([]*taTransport, procs)
	entered := make(chan struct{}, procs*perProc)
	var open atomic.Pointer[chan struct{}]
	for i := range ds {
		ds[i], trs[i] = taDispatcher(t, h)
		trs[i].claim = func(string) error {
			entered <- struct{}{}
			<-*open.Load()
			return nil
		}
	}
	for round := range rounds {
		key := fmt.Sprint("k", round)
		gate := make(chan struct{})
		open.Store(&gate)
		errs := make([]error, procs*perProc)
		var wg sync.WaitGroup
		for i := range procs * perProc {
			wg.Go(func() {
				errs[i] = ds[i%procs].Register(key, &taEcho{name: fmt.Sprint(i % procs)})
			})
		}
		// In each process, one Register claims and those beside it fail
		// at once: every process must reach the transport.
		for range procs {
			select {
			case <-entered:
			case <-time.After(patience):
				t.Fatal("the Registers never reached the transport")
			}
		}
		close(gate)
		wg.Wait()
		// A Register that began after its process's first had lost
		// reached the transport too.
		for len(entered) > 0 {
			<-entered
		}
		winner, won := -1, -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: Registers %d and %d of %q both won", round, won, i, key)
			case err == nil:
				winner, won = i%procs, i
			case !errors.Is(err, runtime.ErrDuplicateKey):
				t.Fatalf("round %d: a losing Register failed with %v, want ErrDuplicateKey", round, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no Register of %q won", round, key)
		}
		for i, d := range ds {
			keys := d.Keys()
			if want := i == winner; slices.Contains(keys, key) != want {
				t.Errorf("round %d: process %d has keys %v; the winner is %d", round, i, keys, winner)
			}
			if got, err := d.To(key).Say(context.Background(), "hi"); err != nil || got != fmt.Sprint(winner, ": hi") {
				t.Errorf("round %d: Say from process %d = %q, %v; want the winner's answer", round, i, got, err)
			}
		}
		for i, tr := range trs {
			if n := tr.count("release " + key); n != 0 {
				t.Errorf("round %d: process %d released %q %d times, holding no claim of it", round, i, key, n)
			}
		}
	}
}

// A claim that fails, with the transport's own error or because another
// process holds the key, leaves nothing registered and nothing claimed:
// calls to the key go to the transport, and a later Register may claim it.
func TestTransportAdvFailedClaimLeavesNothing(t *testing.T) {
	down := errors.New("transport down")
	for _, fail := range []error{down, fmt.Errorf("held elsewhere: %w", runtime.ErrDuplicateKey)} {
		t.Run(fail.Error(), func(t *testing.T) {
			h := newHub()
			d, tr := taDispatcher(t, h)
			tr.claim = func(string) error { return fail }
			var remote atomic.Int64
			tr.call = func(c *runtime.RemoteCall) {
				remote.Add(1)
				c.Done(fmt.Errorf("fake: %w", runtime.ErrNoRecipient))
			}
			e := &taEcho{name: "local"}
			err := d.Register("k", e)
			if !errors.Is(err, fail) {
				t.Fatalf("Register with a failing claim: err = %v, want one wrapping %v", err, fail)
			}
			if keys, st := d.Keys(), d.Stats(); len(keys) != 0 || len(st) != 0 {
				t.Errorf("after the failed claim Keys = %v, Stats = %v: want nothing", keys, st)
			}
			if s := tr.service().Stats(); len(s) != 0 {
				t.Errorf("after the failed claim the transport sees %v", s)
			}
			if _, err := d.To("k").Say(context.Background(), "hi"); !errors.Is(err, runtime.ErrNoRecipient) || remote.Load() != 1 {
				t.Errorf("Say after the failed claim: err = %v, %d calls to the transport; want it sent there", err, remote.Load())
			}
			if e.says.Load() != 0 {
				t.Errorf("the recipient whose claim failed ran a call")
			}
			if taOwner(h, "k") != nil || tr.count("release k") != 0 {
				t.Errorf("a failed claim left a claim, or was released: %v", tr.events())
			}
			tr.mu.Lock()
			tr.claim, tr.call = nil, nil
			tr.mu.Unlock()
			if err := d.Register("k", e); err != nil {
				t.Fatalf("Register once the transport takes the claim: %v", err)
			}
			if got, err := d.To("k").Say(context.Background(), "hi"); err != nil || got != "local: hi" || remote.Load() != 1 {
				t.Errorf("Say once claimed = %q, %v: want it run here", got, err)
			}
		})
	}
}

// A Register whose claim is under way when Close comes fails with
// ErrClosed once the claim returns, registers nothing, and gives the claim
// back: no other process is kept from the key.
func TestTransportAdvRegisterDuringCloseGivesTheClaimBack(t *testing.T) {
	h := newHub()
	d, tr := taDispatcher(t, h)
	entered, open := make(chan struct{}), make(chan struct{})
	tr.claim = func(string) error {
		close(entered)
		<-open
		return nil
	}
	e := &taEcho{name: "late"}
	registered := make(chan error, 1)
	go func() { registered <- d.Register("k", e) }()
	<-entered
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(open)
	var err error
	await(t, "Register after Close", func() { err = <-registered })
	if !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Register whose claim ended after Close: err = %v, want ErrClosed", err)
	}
	if keys := d.Keys(); len(keys) != 0 {
		t.Errorf("Keys = %v after Close", keys)
	}
	if !taWaitRelease(tr, "k", 3*promptly) {
		t.Fatalf("the claim made as Close came was never released: %v", tr.events())
	}
	eventually(t, "the hub to forget the claim", func() bool { return taOwner(h, "k") == nil })
	other, _ := taDispatcher(t, h)
	if err := other.Register("k", &taEcho{name: "other"}); err != nil {
		t.Errorf("another process cannot claim the key given back: %v", err)
	}
	if e.says.Load() != 0 {
		t.Errorf("the recipient that was never registered ran")
	}
}

// sentinels are the errors whose identity must survive a transport's Done.
var sentinels = []error{
	runtime.ErrNoRecipient, runtime.ErrClosed, runtime.ErrMailboxFull, runtime.ErrDeadlock,
	context.Canceled, context.DeadlineExceeded, &runtime.PanicError{Recipient: "Echo", Key: "k", Method: "Say", Value: "boom"},
	errors.New("an application error"),
}

// Whatever the transport says, on its own goroutine or within Call or
// Send, reaches the caller once, as itself: Call's error, the Future's
// Await, Done and OnResolve, the dead-letter handler's DeadLetter.
func TestTransportAdvRemoteOutcomesReachTheCallerOnce(t *testing.T) {
	for _, within := range []bool{true, false} {
		for _, sent := range sentinels {
			name := fmt.Sprintf("within=%v/%v", within, sent)
			t.Run(name, func(t *testing.T) {
				var dl deadLetters
				d, tr := taDispatcher(t, newHub(), runtime.WithDeadLetterHandler(dl.handler))
				var inflight sync.WaitGroup
				t.Cleanup(inflight.Wait)
				answer := func(c *runtime.RemoteCall, err error) {
					if within {
						c.Done(err)
						return
					}
					inflight.Go(func() { c.Done(err) })
				}
				wrapped := fmt.Errorf("fake transport: %w", sent)
				tr.call = func(c *runtime.RemoteCall) { answer(c, wrapped) }
				tr.send = func(c *runtime.RemoteCall) { answer(c, wrapped) }
				ctx := context.Background()
				if _, err := d.To("k").Say(ctx, "x"); !errors.Is(err, sent) {
					t.Errorf("Say: err = %v, want one wrapping %v", err, sent)
				}
				f := d.To("k").SayAsync(ctx, "x")
				var resolved atomic.Int64
				f.OnResolve(func(_ string, err error) {
					if !errors.Is(err, sent) {
						t.Errorf("OnResolve: err = %v", err)
					}
					resolved.Add(1)
				})
				select {
				case <-f.Done():
				case <-time.After(patience):
					t.Fatal("the Future of a remote call never resolved")
				}
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				for _, actx := range []context.Context{ctx, cctx} {
					if _, err := f.Await(actx); !errors.Is(err, sent) {
						t.Errorf("Await: err = %v, want one wrapping %v", err, sent)
					}
				}
				d.To("k").Note(ctx, "n")
				eventually(t, "OnResolve and the dead letter", func() bool { return resolved.Load() > 0 && dl.len() > 0 })
				inflight.Wait()
				// Any second call of OnResolve or of the handler would be
				// on its way by now: OnResolve starts its goroutine when
				// the future resolves, and the handler runs in Done.
				time.Sleep(10 * time.Millisecond)
				if n := resolved.Load(); n != 1 {
					t.Errorf("OnResolve ran %d times", n)
				}
				dl.mu.Lock()
				defer dl.mu.Unlock()
				if len(dl.list) != 1 {
					t.Fatalf("%d dead letters, want 1", len(dl.list))
				}
				l := dl.list[0]
				if n, ok := l.Message.(echoNote); !ok || l.Key != "k" || l.Method != "Note" || l.Recipient != "Echo" || n.args.Text != "n" || !errors.Is(l.Err, sent) {
					t.Errorf("dead letter = %+v, want Echo[k].Note(n) with an error wrapping %v", l, sent)
				}
			})
		}
	}
}

// A Future of a remote call behaves as a local one while the transport has
// not answered: Await with a context that ends returns that context's error
// and leaves the call going; Awaits with every kind of context, Done and
// OnResolve, before and after, all see the one result once it comes; and
// a recipient's method may Await it with its own context.
func TestTransportAdvFutureOfRemoteCallBehavesAsALocalOne(t *testing.T) {
	h := newHub()
	d, tr := taDispatcher(t, h)
	calls := make(chan *runtime.RemoteCall, 10)
	tr.call = func(c *runtime.RemoteCall) { calls <- c }
	ctx := context.Background()
	f := d.To("far").SayAsync(ctx, "q")
	var c *runtime.RemoteCall
	select {
	case c = <-calls:
	case <-time.After(patience):
		t.Fatal("the call never reached the transport")
	}
	if a, ok := c.Args.(*echoSayArgs); !ok || a.Text != "q" || c.Key != "far" || c.Method != "Say" {
		t.Fatalf("RemoteCall = %+v, want Say(q) to far", c)
	}
	if f.Resolved() {
		t.Fatal("the future resolved before the transport answered")
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := f.Await(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await with a context that ends: err = %v, want DeadlineExceeded", err)
	}
	var then atomic.Int64
	onResolve := func(v string, err error) {
		if v != "far: q" || err != nil {
			t.Errorf("OnResolve(%q, %v)", v, err)
		}
		then.Add(1)
	}
	f.OnResolve(onResolve)
	done := f.Done()
	// Awaits of every kind, waiting when the answer comes.
	results := make(chan string, 20)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			actx := ctx
			if i%2 == 1 {
				var cancel context.CancelFunc
				actx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			v, err := f.Await(actx)
			if err != nil {
				v = err.Error()
			}
			results <- v
		})
	}
	// A recipient here that awaits the future with its method's context:
	// the future's call is not its own, so no deadlock check fails it.
	waiter := &taEcho{name: "waiter", g: newGate()}
	waiter.after = func(mctx context.Context) {
		v, err := f.Await(mctx)
		if err != nil {
			v = err.Error()
		}
		results <- v
	}
	if err := d.Register("w", waiter); err != nil {
		t.Fatal(err)
	}
	wf := taHold(t, d, "w", waiter.g)
	waiter.g.release()
	*c.Result.(*string) = "far: q"
	go c.Done(nil)
	wg.Wait()
	if v, err := wf.Await(ctx); err != nil || v != "waiter: hold" {
		t.Fatalf("the awaiting recipient's call = %q, %v", v, err)
	}
	close(results)
	n := 0
	for v := range results {
		n++
		if v != "far: q" {
			t.Errorf("an Await returned %q", v)
		}
	}
	if n != 9 {
		t.Errorf("%d Awaits returned, want 9", n)
	}
	select {
	case <-done:
	default:
		t.Error("Done is still open once Await has returned")
	}
	f.OnResolve(onResolve)
	eventually(t, "both OnResolve calls", func() bool { return then.Load() == 2 })
	if v, err := f.Await(tctx); v != "far: q" || err != nil {
		t.Errorf("Await of the resolved future with an ended context = %q, %v; want the result", v, err)
	}
}

// A transport that calls Done twice, against its contract: the second
// call must neither crash the transport's goroutine, nor change the
// outcome the caller has, nor reach the caller, or the dead-letter handler,
// a second time.
func TestTransportAdvDoneTwice(t *testing.T) {
	t.Run("call", func(t *testing.T) {
		// Call's channel has room for one outcome, which the caller takes:
		// a second Done finds room again and returns.
		d, tr := taDispatcher(t, newHub())
		second := make(chan any, 1)
		tr.call = func(c *runtime.RemoteCall) {
			*c.Result.(*string) = "first"
			c.Done(nil)
			go func() {
				defer func() { second <- recover() }()
				c.Done(errors.New("second"))
			}()
		}
		for range 3 {
			if v, err := d.To("far").Say(context.Background(), "x"); v != "first" || err != nil {
				t.Errorf("Say = %q, %v; want the first outcome", v, err)
			}
			select {
			case p := <-second:
				if p != nil {
					t.Errorf("the second Done panicked: %v", p)
				}
			case <-time.After(promptly):
				t.Fatal("the second Done of a Call blocks the transport's goroutine")
			}
		}
	})
	t.Run("async", func(t *testing.T) {
		d, tr := taDispatcher(t, newHub())
		calls := make(chan *runtime.RemoteCall, 1)
		tr.call = func(c *runtime.RemoteCall) { calls <- c }
		f := d.To("far").SayAsync(context.Background(), "x")
		c := <-calls
		*c.Result.(*string) = "first"
		c.Done(nil)
		if v, err := f.Await(context.Background()); v != "first" || err != nil {
			t.Fatalf("Await = %q, %v", v, err)
		}
		var then atomic.Int64
		f.OnResolve(func(string, error) { then.Add(1) })
		second := make(chan any, 1)
		go func() {
			defer func() { second <- recover() }()
			c.Done(errors.New("second"))
		}()
		if p := <-second; p != nil {
			t.Errorf("the second Done of an Async call panicked on the transport's goroutine: %v", p)
		}
		if v, err := f.Await(context.Background()); v != "first" || err != nil {
			t.Errorf("after the second Done, Await = %q, %v; want the first outcome", v, err)
		}
		eventually(t, "OnResolve", func() bool { return then.Load() > 0 })
	})
	t.Run("send", func(t *testing.T) {
		var dl deadLetters
		d, tr := taDispatcher(t, newHub(), runtime.WithDeadLetterHandler(dl.handler))
		tr.send = func(c *runtime.RemoteCall) {
			c.Done(fmt.Errorf("refused: %w", runtime.ErrMailboxFull))
			c.Done(fmt.Errorf("refused again: %w", runtime.ErrNoRecipient))
		}
		d.To("far").Note(context.Background(), "n")
		if n := dl.len(); n != 1 {
			t.Errorf("one one-way message refused twice by its transport reached the dead-letter handler %d times, want once", n)
		}
	})
}

// A stated limit: a Call whose context ends while the transport has not
// answered, and never answers, waits for the transport whatever its
// context says; an Await of a remote Future, and a local Call, return with
// the context's error. Link.Call's doc asks the transport to end a call
// when its context ends, as natsdispatch does, so that the caller's error
// says what the transport knows of the call.
func TestTransportAdvCallReturnsWhenItsContextEnds(t *testing.T) {
	openFinding(t)
	d, tr := taDispatcher(t, newHub())
	calls := make(chan *runtime.RemoteCall, 1)
	tr.call = func(c *runtime.RemoteCall) { calls <- c }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	returned := make(chan error, 1)
	go func() {
		_, err := d.To("far").Say(ctx, "x")
		returned <- err
	}()
	c := <-calls
	select {
	case err := <-returned:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Say whose context ended: err = %v, want DeadlineExceeded", err)
		}
	case <-time.After(time.Second):
		t.Error("Say waits past its context's deadline for a transport that does not answer")
		// Let it go, as a late answer.
		c.Done(errors.New("late"))
		<-returned
	}
	// A late answer, after the caller has gone, touches nothing of it.
	c.Done(errors.New("late"))
}

// A transport that answers from its own goroutines, late, after the
// caller's context has ended, while the caller's pooled message has long
// been reused by other calls: each caller has its own result, the
// transport read each call's own arguments before Call returned, and the
// race detector sees no write into a reused message.
func TestTransportAdvLateAnswersDoNotLeakIntoPooledMessages(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	d, tr := taDispatcher(t, newHub())
	var inflight sync.WaitGroup
	defer inflight.Wait()
	tr.call = func(c *runtime.RemoteCall) {
		text := c.Args.(*echoSayArgs).Text // read before Call returns
		res := c.Result.(*string)
		inflight.Go(func() {
			if text[0] == 'c' {
				// Canceled by its caller: answer after the context ended.
				<-c.Ctx.Done()
				c.Done(c.Ctx.Err())
				return
			}
			*res = "r:" + text
			c.Done(nil)
		})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range n / 8 {
				text := fmt.Sprint("g", g, ".", i)
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if i%5 == 0 {
					text = "c" + text
					ctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(time.Duration(i%3)*time.Microsecond, cancel)
				}
				v, err := d.To("far").Say(ctx, text)
				cancel()
				switch {
				case text[0] == 'c':
					if !errors.Is(err, context.Canceled) || v != "" {
						t.Errorf("canceled Say(%s) = %q, %v", text, v, err)
					}
				case err != nil || v != "r:"+text:
					t.Errorf("Say(%s) = %q, %v: another call's result, or its arguments", text, v, err)
				}
			}
		})
	}
	wg.Wait()
}

// Unregister, and Close, while calls run and wait here: the claim is given
// back only after every call and one-way message taken has ended, and once;
// also when the recipient unregisters itself from its own method.
func TestTransportAdvReleaseOnlyOnceDrained(t *testing.T) {
	for _, how := range []string{"unregister", "close", "unregister itself"} {
		t.Run(how, func(t *testing.T) {
			h := newHub()
			d, tr := taDispatcher(t, h)
			e := &taEcho{name: "e", g: newGate(), log: tr}
			cont := make(chan struct{})
			if how == "unregister itself" {
				e.after = func(mctx context.Context) {
					if err := d.Unregister(mctx, "k"); err != nil {
						t.Errorf("Unregister from the method: %v", err)
					}
					tr.note("unregistered")
					<-cont
				}
			}
			if err := d.Register("k", e); err != nil {
				t.Fatal(err)
			}
			held := taHold(t, d, "k", e.g)
			ctx := context.Background()
			var queued []*runtime.Future[string]
			for i := range 3 {
				queued = append(queued, d.To("k").SayAsync(ctx, fmt.Sprint("q", i)))
				d.To("k").Note(ctx, fmt.Sprint("n", i))
			}
			stopped := make(chan error, 1)
			switch how {
			case "unregister":
				go func() { stopped <- d.Unregister(ctx, "k") }()
			case "close":
				go func() { stopped <- d.Close(ctx) }()
			default:
				stopped <- nil
			}
			if how == "unregister itself" {
				// The method unregisters its recipient, and goes on.
				e.g.release()
				eventually(t, "the method to unregister", func() bool { return tr.count("unregistered") > 0 })
			}
			eventually(t, "the key to go", func() bool { return len(d.Keys()) == 0 })
			// A runtime that releases before the drain does so at once:
			// give it the time to.
			time.Sleep(20 * time.Millisecond)
			if ev := tr.events(); slices.Contains(ev, "release k") || slices.Contains(ev, "close") {
				t.Fatalf("the claim was given back while a call ran: %v", ev)
			}
			e.g.release()
			close(cont)
			if err := <-stopped; err != nil {
				t.Fatal(err)
			}
			for _, f := range append(queued, held) {
				if _, err := f.Await(ctx); err != nil {
					t.Errorf("a call taken before the stop failed: %v", err)
				}
			}
			want := "release k"
			if how == "close" {
				want = "close"
			}
			eventually(t, "the claim to be given back", func() bool { return tr.count(want) > 0 })
			ev := tr.events()
			last := slices.Index(ev, want)
			for _, ran := range []string{"ran e hold", "ran e q2", "ran e note n2"} {
				if i := slices.Index(ev, ran); i < 0 || i > last {
					t.Errorf("%q came after the claim was given back, or never: %v", ran, ev)
				}
			}
			if taOwner(h, "k") != nil {
				t.Errorf("the hub still has an owner of the key")
			}
			time.Sleep(20 * time.Millisecond) // for a second release on its way
			if n := tr.count(want); n != 1 {
				t.Errorf("%q %d times: %v", want, n, tr.events())
			}
		})
	}
}

// Close at its deadline, with a method stuck past it: Close returns, fails
// what was queued, gives its Link a context of its own to close with, and
// the stuck method's call still ends once, with its result.
func TestTransportAdvCloseAtDeadline(t *testing.T) {
	var dl deadLetters
	h := newHub()
	d, tr := taDispatcher(t, h, runtime.WithDeadLetterHandler(dl.handler))
	e := &taEcho{name: "e", g: newGate()}
	if err := d.Register("k", e); err != nil {
		t.Fatal(err)
	}
	held := taHold(t, d, "k", e.g)
	ctx := context.Background()
	queued := d.To("k").SayAsync(ctx, "q")
	d.To("k").Note(ctx, "n")
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var err error
	await(t, "Close at its deadline", func() { err = d.Close(cctx) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close past its deadline: err = %v, want DeadlineExceeded", err)
	}
	if _, err := queued.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("a queued call: err = %v, want ErrClosed", err)
	}
	if n := dl.len(); n != 1 {
		t.Errorf("%d dead letters, want the queued note's", n)
	}
	tr.mu.Lock()
	live := tr.closedLive
	tr.mu.Unlock()
	if !live {
		t.Errorf("the Link was closed with an ended context, one without a deadline, or not at all: %v", tr.events())
	}
	if taOwner(h, "k") != nil {
		t.Errorf("the claim outlives Close")
	}
	e.g.release()
	if v, err := held.Await(ctx); err != nil || v != "e: hold" {
		t.Errorf("the stuck call = %q, %v; want its result", v, err)
	}
	eventually(t, "the counters to settle", func() bool {
		s := d.Stats()["k"]
		return s.Queued == 0 && s.Handled == 1 && s.Failed == 2
	})
	if _, err := d.To("k").Say(ctx, "after"); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Say after Close: err = %v, want ErrClosed", err)
	}
	if n := tr.count("close"); n != 1 {
		t.Errorf("the Link was closed %d times", n)
	}
}

// A key moves from one process to another while calls and one-way messages
// to it are in flight from a third: each call is answered once, by one of
// the two recipients or with a dispatch error, and each one-way message
// runs once or reaches the dead-letter handler once.
func TestTransportAdvKeyMovesWhileCallsAreInFlight(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	h := newHub()
	var dl deadLetters
	caller, _ := taDispatcher(t, h, runtime.WithDeadLetterHandler(dl.handler))
	from, _ := taDispatcher(t, h)
	to, _ := taDispatcher(t, h)
	// Slow recipients with small mailboxes: messages from the caller wait
	// for room as the key moves.
	ef, et := &taEcho{name: "from", slow: 20 * time.Microsecond}, &taEcho{name: "to", slow: 20 * time.Microsecond}
	if err := from.Register("k", ef, runtime.WithMailboxSize(2)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var answered, failed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			<-start
			for i := range n {
				text := fmt.Sprint(g, ".", i)
				if i%2 == 0 {
					caller.To("k").Note(ctx, text)
					continue
				}
				var v string
				var err error
				if i%4 == 1 {
					v, err = caller.To("k").Say(ctx, text)
				} else {
					v, err = caller.To("k").SayAsync(ctx, text).Await(ctx)
				}
				switch {
				case err == nil && (v == "from: "+text || v == "to: "+text):
					answered.Add(1)
				case errors.Is(err, runtime.ErrNoRecipient) || errors.Is(err, runtime.ErrClosed):
					failed.Add(1)
				default:
					t.Errorf("Say(%s) = %q, %v", text, v, err)
				}
			}
		})
	}
	close(start)
	// Move the key while the calls are under way.
	eventually(t, "the first answers", func() bool { return answered.Load() >= 10 })
	if err := from.Unregister(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := to.Register("k", et, runtime.WithMailboxSize(2)); err != nil {
		t.Fatalf("Register of the released key in another process: %v", err)
	}
	wg.Wait()
	for _, d := range []*EchoDispatcher{from, to} {
		if err := d.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	calls, notes := int64(4*n/2), int64(4*n/2)
	if got := answered.Load() + failed.Load(); got != calls {
		t.Errorf("%d calls answered, %d failed, of %d", answered.Load(), failed.Load(), calls)
	}
	if ran := ef.says.Load() + et.says.Load(); ran != answered.Load() {
		t.Errorf("the recipients ran %d calls, %d were answered with a result", ran, answered.Load())
	}
	if got := ef.notes.Load() + et.notes.Load() + int64(dl.len()); got != notes {
		t.Errorf("%d notes ran here and there, %d dead letters: %d, want %d", ef.notes.Load()+et.notes.Load(), dl.len(), got, notes)
	}
	for _, d := range []struct {
		name string
		d    *EchoDispatcher
		e    *taEcho
	}{{"from", from, ef}, {"to", to, et}} {
		s := d.d.Stats()["k"]
		if s.Queued != 0 || s.Handled != uint64(d.e.says.Load()+d.e.notes.Load()) {
			t.Errorf("%s: Stats = %+v, ran %d calls and %d notes", d.name, s, d.e.says.Load(), d.e.notes.Load())
		}
	}
}

// Unregister drains, then releases the key. A Register of the key in the
// same process while the drain was under way succeeded (the hub, like a
// transport may, lets a process claim a key it holds), and the release
// that followed gave up the new recipient's claim: another process could
// then register the key, which had two owners (every run). It now fails
// with ErrDuplicateKey until Unregister has released the claim.
func TestTransportAdvReRegisterWhileUnregisterDrains(t *testing.T) {
	h := newHub()
	a, _ := taDispatcher(t, h)
	b, _ := taDispatcher(t, h)
	old := &taEcho{name: "old", g: newGate()}
	if err := a.Register("k", old); err != nil {
		t.Fatal(err)
	}
	taHold(t, a, "k", old.g)
	unregistered := make(chan error, 1)
	go func() { unregistered <- a.Unregister(context.Background(), "k") }()
	eventually(t, "the key to go", func() bool { return len(a.Keys()) == 0 })
	err := a.Register("k", &taEcho{name: "new"})
	old.g.release()
	if uerr := <-unregistered; uerr != nil {
		t.Fatal(uerr)
	}
	if !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Fatalf("Register while the key's old recipient drains: err = %v, want ErrDuplicateKey", err)
	}
	// Once Unregister has returned, the key is free again.
	if err := a.Register("k", &taEcho{name: "new"}); err != nil {
		t.Fatalf("Register once Unregister has returned: %v", err)
	}
	if berr := b.Register("k", &taEcho{name: "b"}); !errors.Is(berr, runtime.ErrDuplicateKey) {
		t.Errorf("after the old recipient drained, another process registered the key the new one holds: err = %v, want ErrDuplicateKey", berr)
	}
	if v, err := b.To("k").Say(context.Background(), "who"); err != nil || v != "new: who" {
		t.Errorf("Say from another process = %q, %v; want the new recipient's answer", v, err)
	}
}

// A recipient registered WithStopOnPanic whose method, stuck past
// Unregister's deadline, panics once its key has been registered again:
// the panic's stop released the key, which the new recipient held (every
// run); now only a recipient that still holds its key releases it.
func TestTransportAdvStopOnPanicOfAnOldRecipientKeepsTheNewClaim(t *testing.T) {
	h := newHub()
	a, tr := taDispatcher(t, h)
	b, _ := taDispatcher(t, h)
	old := &taEcho{name: "old", g: newGate(), after: func(context.Context) { panic("late panic") }}
	if err := a.Register("k", old, runtime.WithStopOnPanic()); err != nil {
		t.Fatal(err)
	}
	held := taHold(t, a, "k", old.g)
	uctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := a.Unregister(uctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Unregister past its deadline: err = %v", err)
	}
	if !taWaitRelease(tr, "k", 3*promptly) {
		t.Fatal("Unregister did not release the key")
	}
	if err := a.Register("k", &taEcho{name: "new"}); err != nil {
		t.Fatalf("Register of the released key: %v", err)
	}
	old.g.release()
	if _, err := held.Await(context.Background()); !errors.As(err, new(*runtime.PanicError)) {
		t.Fatalf("the stuck call: err = %v, want its panic", err)
	}
	// A release caused by the panic follows at once, on a goroutine of its
	// own: a second is time enough for it to show.
	if taWaitRelease(tr, "k", time.Second) {
		t.Errorf("the old recipient's panic released the key that the new recipient holds: %v", tr.events())
	}
	if err := b.Register("k", &taEcho{name: "b"}); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Errorf("another process registered the key the new recipient holds: err = %v, want ErrDuplicateKey", err)
	}
}

// Close returned nil, its recipients drained, while a recipient that the
// transport revoked still ran a method: Revoke took it out of the
// dispatcher, so Close neither waited for it nor counted it, and Stats
// forgot its counters (every run). Revoke now keeps it for both.
func TestTransportAdvCloseWaitsForRevokedRecipients(t *testing.T) {
	d, tr := taDispatcher(t, newHub())
	e := &taEcho{name: "e", g: newGate(), log: tr}
	if err := d.Register("k", e); err != nil {
		t.Fatal(err)
	}
	held := taHold(t, d, "k", e.g)
	queued := d.To("k").SayAsync(context.Background(), "q")
	tr.service().Revoke([]string{"k"})
	if _, err := queued.Await(context.Background()); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("a call queued for a revoked recipient: err = %v, want ErrClosed", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := d.Close(ctx)
	running := !held.Resolved()
	e.g.release()
	if _, herr := held.Await(context.Background()); herr != nil {
		t.Errorf("the held call: %v", herr)
	}
	if err == nil && running {
		t.Errorf("Close returned nil, its mailboxes drained, while a revoked recipient's method still ran: %v", tr.events())
	}
	// Nor are its counters kept, as those of a recipient stopped by
	// Unregister or Close are.
	if s, ok := d.Stats()["k"]; !ok || s.Handled != 1 || s.Failed != 1 {
		t.Errorf("Stats of the revoked key = %+v (present %v), want its call handled and the queued one failed", s, ok)
	}
}

// A recipient registered WithStopOnPanic that panics while it holds its key
// releases the key's claim once it drains, and the key may then be
// registered again here: the mark that refuses a Register while a release
// is under way (releasing) goes with the release.
func TestTransportAdvStopOnPanicReleasesThenTheKeyRegistersAgain(t *testing.T) {
	h := newHub()
	a, tr := taDispatcher(t, h)
	b, _ := taDispatcher(t, h)
	e := &taEcho{name: "e", g: newGate(), after: func(context.Context) { panic("panic") }}
	if err := a.Register("k", e, runtime.WithStopOnPanic()); err != nil {
		t.Fatal(err)
	}
	held := taHold(t, a, "k", e.g)
	e.g.release()
	if _, err := held.Await(context.Background()); !errors.As(err, new(*runtime.PanicError)) {
		t.Fatalf("the call: err = %v, want its panic", err)
	}
	if !taWaitRelease(tr, "k", time.Second) {
		t.Fatalf("the recipient stopped on its panic, and its claim was not released: %v", tr.events())
	}
	var err error
	eventually(t, "the key to register again once its release has returned", func() bool {
		err = a.Register("k", &taEcho{name: "again"})
		return err == nil
	})
	if v, err := b.To("k").Say(context.Background(), "who"); err != nil || v != "again: who" {
		t.Errorf("Say from another process = %q, %v; want the new recipient's answer", v, err)
	}
}
