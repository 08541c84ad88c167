package runtime_test

// One test per runtime guarantee of the design, numbered as in the package
// documentation.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Guarantee 1: a call addressed to K is handled only by K's recipient, and
// never dropped; "K's recipient" is the one registered when the call is made.
func TestGuarantee1RoutesOnlyToItsKey(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	const keys, callers, perCaller = 8, 8, 200
	workers := map[string]*testWorker{}
	for i := range keys {
		k := fmt.Sprint("w", i)
		workers[k] = newTestWorker(k)
		if err := d.Register(k, workers[k]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var misrouted atomic.Int64
	for c := range callers {
		wg.Go(func() {
			from := fmt.Sprint("caller", c)
			for i := range perCaller {
				k := fmt.Sprint("w", (c+i)%keys)
				ref := d.To(k)
				switch i % 3 {
				case 0:
					r, err := ref.Do(ctx, Job{From: from, Seq: i})
					if err != nil || r.By != k {
						misrouted.Add(1)
					}
				case 1:
					r, err := ref.DoAsync(ctx, Job{From: from, Seq: i}).Await(ctx)
					if err != nil || r.By != k {
						misrouted.Add(1)
					}
				case 2:
					ref.Tell(ctx, k)
				}
			}
		})
	}
	await(t, "callers", wg.Wait)
	closeDispatcher(t, d)
	if n := misrouted.Load(); n != 0 {
		t.Errorf("%d calls failed or were answered by another recipient", n)
	}
	total := 0
	for k, w := range workers {
		total += w.seen
		for _, note := range w.notes {
			if note != k {
				t.Errorf("recipient %s handled a one-way message for %s", k, note)
			}
		}
	}
	if total != callers*perCaller {
		t.Errorf("recipients handled %d messages, want %d", total, callers*perCaller)
	}
}

func TestGuarantee1FollowsRegistrationAtCallTime(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t, runtime.WithDeadLetterHandler(func(runtime.DeadLetter) {}))
	ref := d.To("k") // taken before anything is registered
	if _, err := ref.Do(ctx, Job{}); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Fatalf("Do before Register: err = %v, want ErrNoRecipient", err)
	}
	first := newTestWorker("first")
	if err := d.Register("k", first); err != nil {
		t.Fatal(err)
	}
	if r, err := ref.Do(ctx, Job{}); err != nil || r.By != "first" {
		t.Fatalf("Do = %+v, %v; want reply by first", r, err)
	}
	kept := d.To("k") // taken while first is registered, and kept
	if err := d.Unregister(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []WorkerRef{ref, kept} {
		if _, err := r.Do(ctx, Job{}); !errors.Is(err, runtime.ErrNoRecipient) {
			t.Fatalf("Do after Unregister: err = %v, want ErrNoRecipient", err)
		}
		r.Tell(ctx, "lost") // must not reach first
	}
	if len(first.notes) != 0 {
		t.Fatalf("an unregistered recipient got %q", first.notes)
	}
	if err := d.Register("k", newTestWorker("second")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []WorkerRef{ref, kept} {
		if r, err := r.Do(ctx, Job{}); err != nil || r.By != "second" {
			t.Fatalf("Do = %+v, %v; want reply by second", r, err)
		}
	}
}

// Guarantee 2: a recipient's methods never run concurrently, and calls from
// one goroutine to one recipient run in the order sent, whatever mix of
// synchronous, asynchronous and one-way calls carries them.
func TestGuarantee2OneAtATimeInOrder(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	var inside, overlaps, disorders atomic.Int64
	w := newTestWorker("w")
	enter := func() func() {
		if inside.Add(1) != 1 {
			overlaps.Add(1)
		}
		return func() { inside.Add(-1) }
	}
	last := map[string]int{} // the worker's own state: no lock, by design
	check := func(from string, seq int) {
		if prev, ok := last[from]; ok && seq <= prev {
			disorders.Add(1)
		}
		last[from] = seq
	}
	w.do = func(_ context.Context, job Job) error {
		defer enter()()
		check(job.From, job.Seq)
		return nil
	}
	w.tell = func(_ context.Context, note string) {
		defer enter()()
		var from string
		var seq int
		fmt.Sscan(strings.ReplaceAll(note, "/", " "), &from, &seq)
		check(from, seq)
	}
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	const senders, perSender = 8, 300
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			from := fmt.Sprint("s", s)
			ref := d.To("w")
			var futures []*runtime.Future[Reply]
			for i := range perSender {
				switch i % 3 {
				case 0:
					if _, err := ref.Do(ctx, Job{From: from, Seq: i}); err != nil {
						t.Error(err)
					}
				case 1:
					futures = append(futures, ref.DoAsync(ctx, Job{From: from, Seq: i}))
				case 2:
					ref.Tell(ctx, fmt.Sprintf("%s/%d", from, i))
				}
			}
			for _, f := range futures {
				if _, err := f.Await(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	await(t, "senders", wg.Wait)
	closeDispatcher(t, d)
	if n := overlaps.Load(); n != 0 {
		t.Errorf("methods overlapped %d times", n)
	}
	if n := disorders.Load(); n != 0 {
		t.Errorf("%d messages ran out of their sender's order", n)
	}
	if w.seen != senders*perSender {
		t.Errorf("handled %d messages, want %d", w.seen, senders*perSender)
	}
}

// Guarantee 3: every call ends exactly once, with its result, the recipient's
// error or a dispatch error; undeliverable one-way messages go to the
// dead-letter handler.
func TestGuarantee3EveryCallEndsExactlyOnce(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var dead []runtime.DeadLetter
	d := NewWorkerDispatcher(runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) {
		mu.Lock()
		dead = append(dead, l)
		mu.Unlock()
	}))
	errBoom := errors.New("boom")
	w := newTestWorker("w")
	w.do = func(_ context.Context, job Job) error {
		switch job.Seq {
		case 1:
			return errBoom
		case 2:
			panic("kaboom")
		}
		return nil
	}
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		key  string
		job  Job
		want error // nil: a reply by w
	}{
		{"w", Job{Seq: 0}, nil},
		{"w", Job{Seq: 1}, errBoom},
		{"w", Job{Seq: 2}, new(runtime.PanicError)},
		{"nobody", Job{Seq: 0}, runtime.ErrNoRecipient},
	}
	for _, c := range cases {
		r, err := d.To(c.key).Do(ctx, c.job)
		checkOutcome(t, "Do", r, err, c.want)
		f := d.To(c.key).DoAsync(ctx, c.job)
		var calls atomic.Int32
		resolved := make(chan struct{})
		f.OnResolve(func(Reply, error) {
			calls.Add(1)
			close(resolved)
		})
		var r2 Reply
		await(t, "Await", func() { r2, err = f.Await(ctx) })
		checkOutcome(t, "DoAsync", r2, err, c.want)
		await(t, "OnResolve", func() { <-resolved })
		select {
		case <-f.Done():
		default:
			t.Error("Done not closed after Await returned")
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("OnResolve callback ran %d times", n)
		}
	}

	d.To("nobody").Tell(ctx, "lost")
	closeDispatcher(t, d)
	d.To("w").Tell(ctx, "too late")
	if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Do after Close: err = %v, want ErrClosed", err)
	}
	if _, err := d.To("w").DoAsync(ctx, Job{}).Await(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("DoAsync after Close: err = %v, want ErrClosed", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 2 || !errors.Is(dead[0].Err, runtime.ErrNoRecipient) || !errors.Is(dead[1].Err, runtime.ErrClosed) {
		t.Fatalf("dead letters = %+v, want one ErrNoRecipient then one ErrClosed", dead)
	}
	if dead[0].Method != "Tell" || dead[0].Key != "nobody" || dead[0].Recipient != "Worker" {
		t.Errorf("dead letter = %+v, want Worker[nobody].Tell", dead[0])
	}
}

// checkOutcome checks a reply against what a case wants: nil for a reply by
// "w", an error to match with errors.Is, or a *PanicError to match with
// errors.As.
func checkOutcome(t *testing.T, what string, r Reply, err, want error) {
	t.Helper()
	var pe *runtime.PanicError
	switch {
	case want == nil:
		if err != nil || r.By != "w" {
			t.Errorf("%s = %+v, %v; want a reply by w", what, r, err)
		}
	case errors.As(want, &pe):
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a *PanicError", what, err)
		}
	case !errors.Is(err, want):
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// Guarantee 4: a panic in a recipient becomes its caller's *PanicError, and
// the recipient goes on.
func TestGuarantee4PanicIsolated(t *testing.T) {
	ctx := context.Background()
	errCause := errors.New("cause")
	var dead atomic.Pointer[runtime.DeadLetter]
	d := newDispatcher(t, runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) { dead.Store(&l) }))
	w := newTestWorker("w")
	w.do = func(_ context.Context, job Job) error {
		if job.Seq == 1 {
			panic(errCause)
		}
		return nil
	}
	w.tell = func(context.Context, string) { panic("in one-way") }
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	_, err := d.To("w").Do(ctx, Job{Seq: 1})
	var pe *runtime.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PanicError", err)
	}
	if pe.Value != errCause || !errors.Is(err, errCause) || pe.Method != "Do" || pe.Key != "w" || pe.Recipient != "Worker" {
		t.Errorf("PanicError = %+v", pe)
	}
	if !strings.Contains(string(pe.Stack), "guarantees_test.go") {
		t.Errorf("PanicError stack does not show where it panicked:\n%s", pe.Stack)
	}
	if _, err := d.To("w").DoAsync(ctx, Job{Seq: 1}).Await(ctx); !errors.As(err, &pe) {
		t.Errorf("async: err = %v, want *PanicError", err)
	}
	d.To("w").Tell(ctx, "x")
	if r, err := d.To("w").Do(ctx, Job{Seq: 2}); err != nil || r.By != "w" {
		t.Fatalf("after panics: Do = %+v, %v; the recipient should go on", r, err)
	}
	if l := dead.Load(); l == nil || !errors.As(l.Err, &pe) || l.Method != "Tell" {
		t.Errorf("one-way panic: dead letter = %+v, want one with a *PanicError", l)
	}
	if s := d.Stats()["w"]; s.Panics != 3 || s.Handled != 1 {
		t.Errorf("Stats = %+v, want 3 panics and 1 handled", s)
	}
}

func TestGuarantee4StopOnPanic(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t)
	_, g := registerHeld(t, d, "w", runtime.WithStopOnPanic())
	boom := d.To("w").DoAsync(ctx, Job{Seq: seqPanic})
	behind := d.To("w").DoAsync(ctx, Job{Seq: 1})
	g.release()
	var pe *runtime.PanicError
	if _, err := boom.Await(ctx); !errors.As(err, &pe) {
		t.Errorf("panicking call: err = %v, want *PanicError", err)
	}
	if _, err := behind.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("call queued behind the panic: err = %v, want ErrClosed", err)
	}
	if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("call after the stop: err = %v, want ErrNoRecipient", err)
	}
	if err := d.Register("w", newTestWorker("w")); err != nil {
		t.Errorf("Register after the stop: %v", err)
	}
}

// Guarantee 5: a caller's context travels with the call.
func TestGuarantee5CanceledWhileQueuedIsNotRun(t *testing.T) {
	d := newDispatcher(t)
	w, g := registerHeld(t, d, "w")

	syncCtx, cancelSync := context.WithCancel(context.Background())
	syncErr := make(chan error, 1)
	go func() {
		_, err := d.To("w").Do(syncCtx, Job{From: "sync", Seq: 1})
		syncErr <- err
	}()
	asyncCtx, cancelAsync := context.WithCancel(context.Background())
	f := d.To("w").DoAsync(asyncCtx, Job{From: "async", Seq: 1})
	tellErr := make(chan error, 1)
	w.tell = func(ctx context.Context, _ string) { tellErr <- ctx.Err() }
	oneCtx, cancelOne := context.WithCancel(context.Background())
	d.To("w").Tell(oneCtx, "one-way")
	waitQueued(t, d, "w", 4)

	cancelSync()
	cancelAsync()
	cancelOne()
	// Both calls end while the recipient is still held: nobody waits for it.
	await(t, "canceled Do", func() {
		if err := <-syncErr; !errors.Is(err, context.Canceled) {
			t.Errorf("Do: err = %v, want context.Canceled", err)
		}
	})
	await(t, "canceled DoAsync", func() {
		if _, err := f.Await(context.Background()); !errors.Is(err, context.Canceled) {
			t.Errorf("DoAsync: err = %v, want context.Canceled", err)
		}
	})
	g.release()
	if _, err := d.To("w").Do(context.Background(), Job{From: "after"}); err != nil {
		t.Fatal(err)
	}
	if _, ran := w.last["sync"]; ran {
		t.Error("the canceled synchronous call ran")
	}
	if _, ran := w.last["async"]; ran {
		t.Error("the canceled asynchronous call ran")
	}
	// A one-way message, once sent, is not taken back: it runs, without
	// its context's cancellation.
	if len(w.notes) != 1 {
		t.Errorf("the one-way message whose context was canceled after Send: notes %q, want it run", w.notes)
	}
	if err := <-tellErr; err != nil {
		t.Errorf("the one-way message's method saw its context end: %v", err)
	}
	if s := d.Stats()["w"]; s.Failed != 2 {
		t.Errorf("Stats = %+v, want 2 failed", s)
	}
}

// waitQueued waits until the recipient under key has n messages queued,
// counting the one it is handling.
func waitQueued(t *testing.T, d *WorkerDispatcher, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for d.Stats()[key].Queued < n {
		if time.Now().After(deadline) {
			t.Fatalf("queue of %s never reached %d: %+v", key, n, d.Stats()[key])
		}
		time.Sleep(time.Millisecond)
	}
}

type ctxKey struct{}

func TestGuarantee5MethodSeesCancelAndValues(t *testing.T) {
	d := newDispatcher(t)
	w := newTestWorker("w")
	started := make(chan struct{})
	w.do = func(ctx context.Context, job Job) error {
		if ctx.Value(ctxKey{}) != "traveled" {
			return errors.New("context value lost")
		}
		if job.Seq == 1 {
			close(started)
			<-ctx.Done()
			return fmt.Errorf("method saw: %w", ctx.Err())
		}
		return nil
	}
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "traveled"))
	f := d.To("w").DoAsync(ctx, Job{Seq: 1})
	<-started
	cancel()
	await(t, "running call", func() {
		if _, err := f.Await(context.Background()); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "method saw") {
			t.Errorf("err = %v, want the method's own report of context.Canceled", err)
		}
	})
	vctx := context.WithValue(context.Background(), ctxKey{}, "traveled")
	if _, err := d.To("w").Do(vctx, Job{}); err != nil {
		t.Errorf("synchronous call: %v", err)
	}
}

func TestGuarantee5CallerLeavesAtDeadline(t *testing.T) {
	d := newDispatcher(t)
	w := newTestWorker("w")
	g := newGate()
	t.Cleanup(g.release)
	w.do = func(context.Context, Job) error {
		g.wait() // ignores its context, as some methods do
		return nil
	}
	if err := d.Register("w", w); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	await(t, "call past its deadline", func() {
		if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}

// Guarantee 6: mailboxes are bounded; a full one blocks the sender until
// there is room or its context ends, or fails fast by option.
func TestGuarantee6FullMailboxBlocks(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t, runtime.WithMailboxSize(2))
	_, g := registerHeld(t, d, "w")
	// The held call still counts against the bound while it runs.
	f := d.To("w").DoAsync(ctx, Job{Seq: 1})
	waitQueued(t, d, "w", 2)

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := d.To("w").Do(short, Job{Seq: 2}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do on a full mailbox: err = %v, want context.DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := d.To("w").Do(ctx, Job{Seq: 3})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Do on a full mailbox returned %v before there was room", err)
	case <-time.After(20 * time.Millisecond):
	}
	g.release()
	await(t, "blocked sender", func() {
		if err := <-done; err != nil {
			t.Errorf("blocked Do: %v", err)
		}
	})
	if _, err := f.Await(ctx); err != nil {
		t.Error(err)
	}
	if s := d.Stats()["w"]; s.HighWater != 2 {
		t.Errorf("HighWater = %d, want 2", s.HighWater)
	}
}

// A sender waiting for room must be woken when the recipient drains its
// mailbox and goes idle, not only when it takes the next message: found by
// FuzzRouterModel.
func TestGuarantee6SenderWokenWhenRecipientGoesIdle(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprint("inline=", inline), func(t *testing.T) {
			d := newDispatcher(t, runtime.WithMailboxSize(1))
			w, g := gatedWorker("w")
			if err := d.Register("w", w); err != nil {
				t.Fatal(err)
			}
			held := make(chan error, 1)
			if inline {
				// A synchronous call with a context that cannot end runs on
				// its caller's goroutine.
				go func() {
					_, err := d.To("w").Do(context.Background(), Job{Seq: seqWait})
					held <- err
				}()
				<-g.entered
			} else {
				f := hold(t, d, "w", g)
				go func() {
					_, err := f.Await(context.Background())
					held <- err
				}()
			}
			sent := make(chan error, 1)
			go func() {
				_, err := d.To("w").Do(context.Background(), Job{Seq: 1})
				sent <- err
			}()
			waitBlockedSender(t)
			g.release()
			await(t, "the sender waiting for room", func() {
				if err := <-sent; err != nil {
					t.Errorf("waiting sender: %v", err)
				}
				if err := <-held; err != nil {
					t.Errorf("held call: %v", err)
				}
			})
		})
	}
}

// waitBlockedSender gives a sender time to find the mailbox full. Too short
// a wait makes the test pass without testing anything, never fail wrongly.
func waitBlockedSender(t *testing.T) {
	t.Helper()
	time.Sleep(20 * time.Millisecond)
}

func TestGuarantee6FailFast(t *testing.T) {
	ctx := context.Background()
	var dead atomic.Int32
	d := newDispatcher(t, runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) {
		if errors.Is(l.Err, runtime.ErrMailboxFull) {
			dead.Add(1)
		}
	}))
	registerHeld(t, d, "w", runtime.WithMailboxSize(1), runtime.WithFailFast())
	if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, runtime.ErrMailboxFull) {
		t.Errorf("Do: err = %v, want ErrMailboxFull", err)
	}
	if _, err := d.To("w").DoAsync(ctx, Job{}).Await(ctx); !errors.Is(err, runtime.ErrMailboxFull) {
		t.Errorf("DoAsync: err = %v, want ErrMailboxFull", err)
	}
	d.To("w").Tell(ctx, "x")
	if dead.Load() != 1 {
		t.Errorf("one-way send to a full mailbox: %d dead letters, want 1", dead.Load())
	}
	if s := d.Stats()["w"]; s.Rejected != 3 {
		t.Errorf("Rejected = %d, want 3", s.Rejected)
	}
}

func TestGuarantee6Unbounded(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t, runtime.WithMailboxSize(1))
	_, g := registerHeld(t, d, "w", runtime.WithUnbounded())
	n := 3 * runtime.DefaultMailboxSize
	futures := make([]*runtime.Future[Reply], n)
	await(t, "sends to an unbounded mailbox", func() {
		for i := range futures {
			futures[i] = d.To("w").DoAsync(ctx, Job{Seq: i})
		}
	})
	g.release()
	for i, f := range futures {
		if r, err := f.Await(ctx); err != nil || r.Job.Seq != i {
			t.Fatalf("call %d: %+v, %v", i, r, err)
		}
	}
}

// Guarantee 7: a synchronous call from a recipient to itself, or around a
// cycle, fails with ErrDeadlock instead of hanging.
func TestGuarantee7Deadlock(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	other := NewWorkerDispatcher() // cycles may cross dispatchers
	defer closeDispatcher(t, other)
	defer closeDispatcher(t, d)
	a, b, c := newTestWorker("a"), newTestWorker("b"), newTestWorker("c")
	// A job's From names the route still to take: "bc" means call b, which
	// calls c, and the last one pings the key in Seq's place.
	route := func(self string) func(context.Context, Job) error {
		return func(ctx context.Context, job Job) error {
			if job.From == "" {
				return nil
			}
			next, rest := job.From[:1], job.From[1:]
			disp := d
			if next == "c" {
				disp = other
			}
			if job.Seq == 1 {
				// Through a derived context and a Future this time.
				dctx, cancel := context.WithTimeout(ctx, patience)
				defer cancel()
				_, err := disp.To(next).DoAsync(dctx, Job{From: rest, Seq: job.Seq}).Await(dctx)
				return err
			}
			_, err := disp.To(next).Do(ctx, Job{From: rest, Seq: job.Seq})
			return err
		}
	}
	a.do, b.do, c.do = route("a"), route("b"), route("c")
	for _, reg := range []error{d.Register("a", a), d.Register("b", b), other.Register("c", c)} {
		if reg != nil {
			t.Fatal(reg)
		}
	}
	for _, tc := range []struct {
		start, route string
		seq          int
		deadlock     bool
	}{
		{"a", "a", 0, true},   // a calls itself
		{"a", "ba", 0, true},  // a → b → a
		{"a", "bca", 0, true}, // a → b → c → a, across dispatchers
		{"a", "bca", 1, true}, // the same with Await on derived contexts
		{"a", "bc", 0, false}, // a → b → c: no cycle
		{"a", "bcb", 0, true}, // a → b → c → b
		{"b", "cab", 1, true}, // b → c → a → b, Await
	} {
		var err error
		await(t, tc.start+"→"+tc.route, func() {
			_, err = d.To(tc.start).Do(ctx, Job{From: tc.route, Seq: tc.seq})
		})
		if got := errors.Is(err, runtime.ErrDeadlock); got != tc.deadlock {
			t.Errorf("%s → %s (seq %d): err = %v, want deadlock %v", tc.start, tc.route, tc.seq, err, tc.deadlock)
		}
		// Of two recipients that close a cycle at once, one may be the one
		// told, and the other wait on until the call it sent is handled, after
		// the first call has returned: the next case starts once every
		// method of this one has returned, so that it sees no waits of it.
		for _, flush := range []func() error{
			func() error { return d.Flush(ctx, "a") },
			func() error { return d.Flush(ctx, "b") },
			func() error { return other.Flush(ctx, "c") },
		} {
			await(t, "the methods of "+tc.start+"→"+tc.route+" to return", func() {
				if err := flush(); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func TestGuarantee7NoFalseDeadlockAfterOneWay(t *testing.T) {
	d := newDispatcher(t)
	a, b := newTestWorker("a"), newTestWorker("b")
	result := make(chan error, 1)
	// a tells b with its own context and returns; b then calls a, which is
	// idle by then: no cycle, so no ErrDeadlock.
	a.do = func(ctx context.Context, _ Job) error {
		d.To("b").Tell(ctx, "call me back")
		return nil
	}
	b.tell = func(ctx context.Context, _ string) {
		result <- d.To("a").Ping(ctx)
	}
	for _, err := range []error{d.Register("a", a), d.Register("b", b)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.To("a").Do(context.Background(), Job{}); err != nil {
		t.Fatal(err)
	}
	await(t, "call back", func() {
		if err := <-result; err != nil {
			t.Errorf("b's call to a after a returned: %v", err)
		}
	})
}

// Guarantee 8: Close and Unregister drain what is queued until their context
// ends, then fail the rest with ErrClosed, and leave no goroutine behind
// (TestMain checks the last part).
func TestGuarantee8CloseDrains(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	futures, g := queueBehindHeld(t, d, 50)
	closed := make(chan error, 1)
	go func() { closed <- d.Close(ctx) }()
	time.Sleep(10 * time.Millisecond) // Close is draining now
	if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("call during Close: err = %v, want ErrClosed", err)
	}
	g.release()
	await(t, "Close", func() {
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for i, f := range futures {
		if !f.Resolved() {
			t.Fatalf("call %d not resolved after Close", i)
		}
		if r, err := f.Await(ctx); err != nil || r.Job.Seq != i {
			t.Errorf("call %d: %+v, %v; Close should have drained it", i, r, err)
		}
	}
	if err := d.Register("x", newTestWorker("x")); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Register after Close: err = %v, want ErrClosed", err)
	}
}

func TestGuarantee8CloseFailsRestWhenContextEnds(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	futures, g := queueBehindHeld(t, d, 50)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err := d.Close(short)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: err = %v, want context.DeadlineExceeded", err)
	}
	for i, f := range futures {
		if _, err := f.Await(ctx); !errors.Is(err, runtime.ErrClosed) {
			t.Errorf("call %d: err = %v, want ErrClosed", i, err)
		}
	}
	g.release() // the held call ends; its goroutine must then go
}

// queueBehindHeld registers a held worker under "w" and queues n
// asynchronous calls behind the held one, with Seq 0 to n-1.
func queueBehindHeld(t *testing.T, d *WorkerDispatcher, n int) ([]*runtime.Future[Reply], *gate) {
	t.Helper()
	_, g := registerHeld(t, d, "w")
	futures := make([]*runtime.Future[Reply], n)
	for i := range futures {
		futures[i] = d.To("w").DoAsync(context.Background(), Job{Seq: i})
	}
	return futures, g
}

func TestGuarantee8Unregister(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t)
	_, g := registerHeld(t, d, "w")
	queued := d.To("w").DoAsync(ctx, Job{Seq: 1})
	unregistered := make(chan error, 1)
	go func() { unregistered <- d.Unregister(ctx, "w") }()
	await(t, "key removed", func() {
		for len(d.Keys()) != 0 {
			time.Sleep(time.Millisecond)
		}
	})
	if _, err := d.To("w").Do(ctx, Job{}); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("call during Unregister: err = %v, want ErrNoRecipient", err)
	}
	g.release()
	await(t, "Unregister", func() {
		if err := <-unregistered; err != nil {
			t.Errorf("Unregister: %v", err)
		}
	})
	if _, err := queued.Await(ctx); err != nil {
		t.Errorf("queued call: %v; Unregister should have drained it", err)
	}
	if err := d.Unregister(ctx, "w"); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("second Unregister: err = %v, want ErrNoRecipient", err)
	}
}

// TestGuarantee5AwaitWithTheCallsContext covers the common Await: with the
// context the call was made with. Its end while the call is queued must fail
// the call at once, not run it, and count it as failed.
func TestGuarantee5AwaitWithTheCallsContext(t *testing.T) {
	d := newDispatcher(t)
	w, g := registerHeld(t, d, "w")
	ctx, cancel := context.WithCancel(context.Background())
	f := d.To("w").DoAsync(ctx, Job{From: "async", Seq: 1})
	waitQueued(t, d, "w", 2)
	got := make(chan error, 1)
	go func() {
		_, err := f.Await(ctx)
		got <- err
	}()
	cancel()
	await(t, "Await with the canceled call's context", func() {
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Errorf("Await: err = %v, want context.Canceled", err)
		}
	})
	// The future itself is failed too, whoever awaits it next.
	if _, err := f.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("second Await: err = %v, want context.Canceled", err)
	}
	g.release()
	if _, err := d.To("w").Do(context.Background(), Job{From: "after"}); err != nil {
		t.Fatal(err)
	}
	if _, ran := w.last["async"]; ran {
		t.Error("the canceled asynchronous call ran")
	}
	if s := d.Stats()["w"]; s.Failed != 1 {
		t.Errorf("Stats = %+v, want 1 failed", s)
	}
}
