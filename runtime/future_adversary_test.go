package runtime_test

// Adversarial tests of Future: every method, from many goroutines, against
// the moment the call resolves, for each way a call can resolve; and the
// pool of wake channels, which a given-up Await must leave as it found it.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// fadvJitter yields a random number of times, so that racing goroutines
// meet the resolution at a different point each round.
func fadvJitter(most int) {
	for n := rand.IntN(most + 1); n > 0; n-- {
		goruntime.Gosched()
	}
}

// fadvResult is what one waiter got from a future.
type fadvResult struct {
	r   Reply
	err error
}

// fadvHeld registers under key a gated worker, and returns the future of a
// call, sent with ctx, that the worker is running, held at the returned gate.
func fadvHeld(t *testing.T, d *WorkerDispatcher, key string, ctx context.Context, opts ...runtime.RecipientOption) (*runtime.Future[Reply], *gate) {
	t.Helper()
	w, g := gatedWorker(key)
	if err := d.Register(key, w, opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.release)
	f := d.To(key).DoAsync(ctx, Job{From: "holder", Seq: seqWait})
	select {
	case <-g.entered:
	case <-time.After(patience):
		t.Fatal("held call never started")
	}
	return f, g
}

// fadvDispatcher returns a dispatcher closed when the test ends, within
// patience, so that a test that broke the runtime fails rather than hangs.
func fadvDispatcher(t *testing.T) *WorkerDispatcher {
	t.Helper()
	d := NewWorkerDispatcher()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// fadvScenario is one way for a call to resolve: setup sends the call and
// returns its future, the call's own context (nil if it cannot end), a
// function that makes the future resolve, and a check of the kind of the
// one result.
type fadvScenario struct {
	name  string
	setup func(t *testing.T) (f *runtime.Future[Reply], callCtx context.Context, resolve func(), want func(fadvResult) bool)
}

// fadvCanceled returns a context that has ended.
func fadvCanceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// fadvIsCanceled reports whether o is the failure of a call whose context
// was canceled.
func fadvIsCanceled(o fadvResult) bool {
	return o.r == (Reply{}) && errors.Is(o.err, context.Canceled)
}

// fadvIsClosed reports whether o is the failure of a call that its
// dispatcher's Close ended.
func fadvIsClosed(o fadvResult) bool {
	return o.r == (Reply{}) && errors.Is(o.err, runtime.ErrClosed)
}

// fadvHandled returns a check that a result is the reply of worker "w" to
// the job numbered seq.
func fadvHandled(seq int) func(fadvResult) bool {
	return func(o fadvResult) bool { return o.err == nil && o.r.By == "w" && o.r.Job.Seq == seq }
}

// fadvScenarios are the ways a call resolves: handled while running or
// queued, with a context that cannot end or one that can (so that Await
// watches it), panicking, failing because its context ended while queued
// (given up by an Await or found so by the recipient), and failing because
// the dispatcher closed, alone or racing the call's cancellation.
var fadvScenarios = []fadvScenario{
	{"running", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		f, g := fadvHeld(t, fadvDispatcher(t), "w", context.Background())
		return f, nil, g.release, fadvHandled(seqWait)
	}},
	{"running-call-canceled", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		// The call's context ends while it runs: Awaits that watch it must
		// not fail a call that is no longer queued.
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		f, g := fadvHeld(t, fadvDispatcher(t), "w", ctx)
		return f, ctx, func() { cancel(); fadvJitter(5); g.release() }, fadvHandled(seqWait)
	}},
	{"queued", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		d := fadvDispatcher(t)
		_, g := fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(context.Background(), Job{From: "t", Seq: 1})
		return f, nil, g.release, fadvHandled(1)
	}},
	{"queued-cancelable", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		d := fadvDispatcher(t)
		_, g := fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(ctx, Job{From: "t", Seq: 1})
		return f, ctx, g.release, fadvHandled(1)
	}},
	{"panic", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		d := fadvDispatcher(t)
		_, g := fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(context.Background(), Job{From: "t", Seq: seqPanic})
		return f, nil, g.release, func(o fadvResult) bool {
			var pe *runtime.PanicError
			return o.r == (Reply{}) && errors.As(o.err, &pe) && pe.Method == "Do"
		}
	}},
	{"given-up", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		// The recipient stays held: only an Await can fail the call, and
		// Done and OnResolve wait for one.
		ctx, cancel := context.WithCancel(context.Background())
		d := fadvDispatcher(t)
		fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(ctx, Job{From: "t", Seq: 1})
		return f, ctx, func() { cancel(); f.Await(context.Background()) }, fadvIsCanceled
	}},
	{"reached-canceled", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		// Awaits giving the call up race the recipient starting it.
		ctx, cancel := context.WithCancel(context.Background())
		d := fadvDispatcher(t)
		_, g := fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(ctx, Job{From: "t", Seq: 1})
		return f, ctx, func() { cancel(); g.release() }, fadvIsCanceled
	}},
	{"closed", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		d := fadvDispatcher(t)
		fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(ctx, Job{From: "t", Seq: 1})
		// A Close whose context has ended fails what is queued at once.
		return f, ctx, func() { d.Close(fadvCanceled()) }, fadvIsClosed
	}},
	{"closed-or-given-up", func(t *testing.T) (*runtime.Future[Reply], context.Context, func(), func(fadvResult) bool) {
		ctx, cancel := context.WithCancel(context.Background())
		d := fadvDispatcher(t)
		fadvHeld(t, d, "w", context.Background())
		f := d.To("w").DoAsync(ctx, Job{From: "t", Seq: 1})
		return f, ctx, func() {
				var wg sync.WaitGroup
				wg.Go(func() { cancel(); f.Await(context.Background()) })
				wg.Go(func() { d.Close(fadvCanceled()) })
				wg.Wait()
			}, func(o fadvResult) bool {
				return fadvIsCanceled(o) || fadvIsClosed(o)
			}
	}},
}

// The things a racer does to a future.
const (
	fadvAwaitBackground = iota // Await(context.Background())
	fadvAwaitCancel            // Await with a context canceled at a random moment
	fadvAwaitCallCtx           // Await with the call's own context
	fadvDone                   // Done, then wait for it
	fadvOnResolve              // OnResolve
	fadvResolved               // poll Resolved until true
)

// fadvObs is what one racer saw.
type fadvObs struct {
	kind    int
	ctx     context.Context // of an Await whose context can end
	res     fadvResult
	calls   atomic.Int32 // of the racer's OnResolve function
	problem string
}

// fadvRace sets up sc and races n goroutines, doing the things of kinds in
// turn, against its resolution: a third of them act at once, before the
// resolution can start, and the rest at random moments around it. It then
// checks each against the one result that Await(context.Background())
// returns afterwards.
func fadvRace(t *testing.T, sc fadvScenario, kinds []int, n int) {
	f, callCtx, resolve, want := sc.setup(t)
	start := make(chan struct{})
	obs := make([]fadvObs, n)
	var racers, fns sync.WaitGroup
	for i := range obs {
		o := &obs[i]
		o.kind = kinds[i%len(kinds)]
		switch {
		case o.kind == fadvAwaitCallCtx && callCtx != nil:
			o.ctx = callCtx
		case o.kind == fadvAwaitCancel || o.kind == fadvAwaitCallCtx:
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			o.ctx = ctx
			racers.Go(func() {
				if i%2 == 0 {
					<-start
				}
				fadvJitter(40)
				cancel()
			})
		case o.kind == fadvOnResolve:
			fns.Add(1)
		}
		early := i%3 == 0
		racers.Go(func() {
			if !early {
				<-start
				fadvJitter(40)
			}
			switch o.kind {
			case fadvAwaitBackground:
				o.res.r, o.res.err = f.Await(context.Background())
			case fadvAwaitCancel, fadvAwaitCallCtx:
				o.res.r, o.res.err = f.Await(o.ctx)
			case fadvDone:
				select {
				case <-f.Done():
				case <-time.After(patience):
					o.problem = "Done never closed"
					return
				}
				if !f.Resolved() {
					o.problem = "Done closed while Resolved reports false"
				}
				o.res.r, o.res.err = f.Await(context.Background())
			case fadvOnResolve:
				f.OnResolve(func(r Reply, err error) {
					if o.calls.Add(1) == 1 {
						o.res = fadvResult{r, err}
						fns.Done()
					}
				})
			case fadvResolved:
				deadline := time.Now().Add(patience)
				for !f.Resolved() {
					if time.Now().After(deadline) {
						o.problem = "Resolved never true"
						return
					}
					goruntime.Gosched()
				}
				select {
				case <-f.Done():
				default:
					o.problem = "Resolved reports true while Done is open"
				}
				o.res.r, o.res.err = f.Await(context.Background())
			}
		})
	}
	await(t, "the racers", func() {
		racers.Go(func() {
			<-start
			fadvJitter(40)
			resolve()
		})
		close(start)
		racers.Wait()
	})
	var ref fadvResult
	await(t, "Await after the resolution", func() { ref.r, ref.err = f.Await(context.Background()) })
	if !want(ref) {
		t.Fatalf("the future resolved to %+v, not what %s should give", ref, sc.name)
	}
	await(t, "the OnResolve functions", fns.Wait)
	if !f.Resolved() {
		t.Error("Resolved is false after Await returned")
	}
	for i := range obs {
		o := &obs[i]
		switch {
		case o.problem != "":
			t.Errorf("racer %d (kind %d): %s", i, o.kind, o.problem)
		case o.kind == fadvOnResolve && o.calls.Load() != 1:
			t.Errorf("racer %d: OnResolve's function called %d times", i, o.calls.Load())
		case o.res == ref:
		case o.ctx != nil && o.res.r == (Reply{}) && o.res.err != nil && o.res.err == o.ctx.Err():
			// Its own context ended first.
		default:
			t.Errorf("racer %d (kind %d) got %+v, want the one result %+v", i, o.kind, o.res, ref)
		}
	}
	// A second call would come on a goroutine of its own, started by now.
	goruntime.Gosched()
	for i := range obs {
		if c := obs[i].calls.Load(); obs[i].kind == fadvOnResolve && c != 1 {
			t.Errorf("racer %d: OnResolve's function called %d times", i, c)
		}
	}
}

// fadvRaceAll runs fadvRace for every scenario, rounds times each.
func fadvRaceAll(t *testing.T, rounds int, kinds []int, n int) {
	for _, sc := range fadvScenarios {
		for i := range rounds {
			t.Run(fmt.Sprintf("%s/%d", sc.name, i), func(t *testing.T) { fadvRace(t, sc, kinds, n) })
		}
	}
}

// TestFutureAdvEveryMethodRacesResolution races every method of Future
// (Await with each kind of context, Done, OnResolve, Resolved) from many
// goroutines against the resolution of the call, for every way a call
// resolves, and checks that each waiter saw the one result once (or, for an
// Await, its own context's error), with Done and Resolved agreeing.
func TestFutureAdvEveryMethodRacesResolution(t *testing.T) {
	all := []int{fadvAwaitBackground, fadvAwaitCancel, fadvAwaitCallCtx, fadvDone, fadvOnResolve, fadvResolved}
	fadvRaceAll(t, 15, all, 24)
}

// TestFutureAdvAwaitsRaceResolution races only Awaits, the first of which
// takes the wake field and the rest rest.more, some given up at random
// moments, against the resolution: every one must return.
func TestFutureAdvAwaitsRaceResolution(t *testing.T) {
	fadvRaceAll(t, 15, []int{fadvAwaitCancel, fadvAwaitBackground, fadvAwaitCallCtx, fadvAwaitCancel}, 24)
}

// TestFutureAdvOnResolveRacesResolution races OnResolve against the
// resolution, with Done making the future's rest at random moments too,
// before and after it resolves: each function must be called exactly once,
// none lost between a check of resolved and its append.
func TestFutureAdvOnResolveRacesResolution(t *testing.T) {
	fadvRaceAll(t, 15, []int{fadvOnResolve, fadvOnResolve, fadvDone}, 24)
}

// TestFutureAdvDoneAgreesWithResolved races Done and Resolved against the
// resolution: a Done channel is closed only once Resolved reports true, and
// once it does, Done's channel is closed.
func TestFutureAdvDoneAgreesWithResolved(t *testing.T) {
	fadvRaceAll(t, 15, []int{fadvDone, fadvResolved}, 24)
}

// fadvSweep parks n Awaits, whose context can end, on p, which must not
// resolve meanwhile, runs during while they wait, then ends their context:
// each must return that context's error. An Await that took from the pool a
// channel still signaled, or still registered with another future, would
// wake early with p's zero result and a nil error.
func fadvSweep(t *testing.T, p *runtime.Future[Reply], n int, during func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan fadvResult, n)
	for range n {
		go func() {
			r, err := p.Await(ctx)
			got <- fadvResult{r, err}
		}()
	}
	// Long enough for the Awaits to take their channels; one that has not
	// yet only makes the test test less.
	time.Sleep(time.Millisecond)
	during()
	cancel()
	for range n {
		select {
		case o := <-got:
			if o.err != context.Canceled {
				t.Errorf("an Await of an unresolved future returned %+v, not its context's error: its wake channel came signaled", o)
			}
		case <-time.After(patience):
			t.Fatal("an Await whose context ended did not return")
		}
	}
}

// fadvProbe awaits p, which must not resolve, with a context that ends
// shortly, on the calling goroutine, so that it most likely takes from the
// pool the channel this goroutine put back last.
func fadvProbe(t *testing.T, p *runtime.Future[Reply]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Microsecond)
	defer cancel()
	if r, err := p.Await(ctx); err != context.DeadlineExceeded {
		t.Fatalf("an Await of an unresolved future returned %+v, %v, not its context's error: its wake channel came signaled", r, err)
	}
}

// TestFutureAdvGiveUpDrainsWake gives up, with an Await of the call's own
// context, a call still queued: that Await's giveUp publishes, which signals
// the Await's own channel before removeWaiter takes it back, every time.
// The channel must go back to the pool empty, whether it was the future's
// first wake channel or, behind another Await's, in rest.more: the next
// Await on this goroutine, of a future that is not resolved, must wait for
// its context.
func TestFutureAdvGiveUpDrainsWake(t *testing.T) {
	d := fadvDispatcher(t)
	probe, _ := fadvHeld(t, d, "w", context.Background(), runtime.WithUnbounded())
	for i := range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		f := d.To("w").DoAsync(ctx, Job{From: "given-up", Seq: i})
		var first chan fadvResult
		octx, ocancel := context.WithCancel(context.Background())
		if i%2 == 1 {
			first = make(chan fadvResult, 1)
			go func() {
				r, err := f.Await(octx)
				first <- fadvResult{r, err}
			}()
			// Time for it to take the wake field; if it has not, this
			// round tests the wake field instead of rest.more.
			fadvJitter(50)
		}
		cancel()
		if r, err := f.Await(ctx); err != context.Canceled {
			t.Fatalf("round %d: Await of a call given up = %+v, %v, want context.Canceled", i, r, err)
		}
		if first != nil {
			select {
			case o := <-first:
				if !fadvIsCanceled(o) {
					t.Fatalf("round %d: the other Await = %+v, want the call's context.Canceled", i, o)
				}
			case <-time.After(patience):
				t.Fatalf("round %d: the other Await never returned", i)
			}
		}
		ocancel()
		fadvProbe(t, probe)
	}
	fadvSweep(t, probe, 8, func() {})
}

// TestFutureAdvCanceledAwaitDoesNotWakeAnother gives up Awaits of a running
// call, so that their channels go back to the pool, then parks Awaits of
// another future, which take those channels, while the first call
// resolves: the resolution must signal none of them, as it would if a
// given-up Await's channel were left in the wake field or in rest.more.
func TestFutureAdvCanceledAwaitDoesNotWakeAnother(t *testing.T) {
	d := fadvDispatcher(t)
	probe, _ := fadvHeld(t, d, "probe", context.Background())
	for i := range 30 {
		f, g := fadvHeld(t, d, fmt.Sprint("f", i), context.Background())
		// In odd rounds another Await holds the wake field, so that the
		// given-up one's channel is in rest.more.
		octx, ocancel := context.WithCancel(context.Background())
		other := make(chan fadvResult, 1)
		if i%2 == 1 {
			go func() {
				r, err := f.Await(octx)
				other <- fadvResult{r, err}
			}()
			fadvJitter(50)
		}
		// Its context has ended before it starts, yet it takes a channel.
		if r, err := f.Await(fadvCanceled()); err != context.Canceled {
			t.Fatalf("round %d: Await with an ended context = %+v, %v, want context.Canceled", i, r, err)
		}
		ocancel()
		if i%2 == 1 {
			select {
			case o := <-other:
				if o.err != context.Canceled {
					t.Fatalf("round %d: the other Await = %+v, want context.Canceled", i, o)
				}
			case <-time.After(patience):
				t.Fatalf("round %d: the other Await never returned", i)
			}
		}
		fadvSweep(t, probe, 4, func() {
			g.release()
			await(t, "the released call", func() {
				if o, err := f.Await(context.Background()); err != nil {
					t.Errorf("released call = %+v, %v", o, err)
				}
			})
		})
		if t.Failed() {
			return
		}
	}
}

// TestFutureAdvGiveUpAtResolveLeavesPoolClean gives up Awaits at the same
// moment their future resolves, by their own contexts and by the call's
// (which also gives the queued call up), so that some find their channel
// signaled and some not, and then parks Awaits of a future that is not
// resolved: none may take a channel left signaled.
func TestFutureAdvGiveUpAtResolveLeavesPoolClean(t *testing.T) {
	d := fadvDispatcher(t)
	probe, _ := fadvHeld(t, d, "probe", context.Background())
	const awaits = 8
	for i := range 30 {
		cctx, ccancel := context.WithCancel(context.Background())
		var f *runtime.Future[Reply]
		var release func()
		key := fmt.Sprint("f", i)
		if i%2 == 0 {
			held, g := fadvHeld(t, d, key, context.Background())
			f, release = held, g.release
		} else {
			// Queued with a context that ends: its end is the resolution.
			_, g := fadvHeld(t, d, key, context.Background())
			t.Cleanup(g.release)
			f, release = d.To(key).DoAsync(cctx, Job{From: "t", Seq: 1}), ccancel
		}
		start := make(chan struct{})
		ctxs := make([]context.Context, awaits)
		got := make([]fadvResult, awaits)
		var wg sync.WaitGroup
		for k := range awaits {
			ctx, cancel := context.WithCancel(context.Background())
			if k%4 == 3 {
				ctx, cancel = cctx, ccancel
			}
			ctxs[k] = ctx
			wg.Go(func() {
				got[k].r, got[k].err = f.Await(ctx)
			})
			wg.Go(func() {
				<-start
				fadvJitter(20)
				cancel()
			})
		}
		wg.Go(func() {
			<-start
			fadvJitter(20)
			release()
		})
		fadvJitter(20)
		close(start)
		await(t, "the Awaits", wg.Wait)
		var ref fadvResult
		await(t, "Await after the resolution", func() { ref.r, ref.err = f.Await(context.Background()) })
		for k, o := range got {
			if o != ref && (o.err == nil || o.err != ctxs[k].Err()) {
				t.Errorf("round %d: Await %d = %+v, want %+v or its context's error", i, k, o, ref)
			}
		}
		ccancel()
		fadvSweep(t, probe, 8, func() {})
		if t.Failed() {
			return
		}
	}
}

// TestFutureAdvResolvedBeforeReturn checks the futures of calls that fail
// before Async returns (a nil context, no recipient, a closed dispatcher),
// which resolve before anyone can ask for Done's channel or give OnResolve
// a function: every method, from several goroutines, sees the one failure.
func TestFutureAdvResolvedBeforeReturn(t *testing.T) {
	closed := NewWorkerDispatcher()
	if err := closed.Register("w", newTestWorker("w")); err != nil {
		t.Fatal(err)
	}
	closeDispatcher(t, closed)
	open := fadvDispatcher(t)
	var nilCtx context.Context // the bad input, as in TestBadInput
	cases := []struct {
		name string
		f    func() *runtime.Future[Reply]
		want error
	}{
		{"nil context", func() *runtime.Future[Reply] { return open.To("w").DoAsync(nilCtx, Job{}) }, runtime.ErrNilContext},
		{"no recipient", func() *runtime.Future[Reply] { return open.To("nobody").DoAsync(cancelable(t), Job{}) }, runtime.ErrNoRecipient},
		{"closed", func() *runtime.Future[Reply] { return closed.To("w").DoAsync(cancelable(t), Job{}) }, runtime.ErrClosed},
	}
	for _, c := range cases {
		for range 20 {
			f := c.f()
			if !f.Resolved() {
				t.Fatalf("%s: not resolved when Async returned", c.name)
			}
			var wg sync.WaitGroup
			var calls atomic.Int32
			for k := range 6 {
				wg.Go(func() {
					var o fadvResult
					switch k {
					case 0:
						o.r, o.err = f.Await(context.Background())
					case 1:
						o.r, o.err = f.Await(cancelable(t))
					case 2:
						select {
						case <-f.Done():
						default:
							t.Errorf("%s: Done open on a resolved future", c.name)
						}
						return
					default:
						got := make(chan fadvResult, 2)
						f.OnResolve(func(r Reply, err error) {
							calls.Add(1)
							got <- fadvResult{r, err}
						})
						select {
						case o = <-got:
						case <-time.After(patience):
							t.Errorf("%s: OnResolve's function never called", c.name)
							return
						}
					}
					if o.r != (Reply{}) || !errors.Is(o.err, c.want) {
						t.Errorf("%s: got %+v, want %v", c.name, o, c.want)
					}
				})
			}
			await(t, c.name, wg.Wait)
			goruntime.Gosched()
			if n := calls.Load(); n != 3 {
				t.Errorf("%s: 3 OnResolve functions called %d times", c.name, n)
			}
		}
	}
}
