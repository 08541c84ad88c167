package runtime

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Adversarial tests of the admission of messages from other processes
// (ServeCall, ServeSend, admitInbound, admitWaiting). Each builds an exact
// state with hand-made Inbound values, as inbound_order_internal_test.go
// does, and checks the contracts: Reply exactly once per Inbound, no message
// both run and refused, one sender's order, nothing left running.

// advLog is the recipient: it reports every message whose method starts.
type advLog struct {
	mu  sync.Mutex
	ran []string
	now chan string
}

func (l *advLog) record(name string) {
	l.mu.Lock()
	l.ran = append(l.ran, name)
	l.mu.Unlock()
	select {
	case l.now <- name:
	default:
	}
}

func (l *advLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ran)
}

// advNote is a generated-like one-way message; do, if set, runs in its
// method after it is recorded.
type advNote struct {
	name string
	do   func()
}

func (advNote) Method() string { return "Note" }

func (m advNote) Run(_ context.Context, impl any) {
	impl.(*advLog).record(m.name)
	if m.do != nil {
		m.do()
	}
}

// advCall is a generated-like call whose only result is its error.
type advCall struct {
	Request[struct{}]
	name string
	do   func()
}

func (*advCall) Method() string { return "Call" }

func (m *advCall) Run(_ context.Context, impl any) {
	impl.(*advLog).record(m.name)
	if m.do != nil {
		m.do()
	}
	m.Resolve(struct{}{}, nil)
}

// advReplies records every Reply of the test's Inbound values.
type advReplies struct {
	mu    sync.Mutex
	n     map[string]int
	err   map[string]error
	order []string
}

func newAdvReplies() *advReplies {
	return &advReplies{n: map[string]int{}, err: map[string]error{}}
}

// inbound returns the Inbound of the message named name, bounded by ctx.
func (a *advReplies) inbound(ctx context.Context, k orderKind, name string) *Inbound {
	in := &Inbound{Ctx: ctx, Key: "k", Method: "Note", OneWay: true}
	if k == orderCall {
		in.Method, in.OneWay = "Call", false
	}
	a.mu.Lock()
	a.n[name] = 0
	a.mu.Unlock()
	in.Reply = func(_ any, err error) {
		a.mu.Lock()
		a.n[name]++
		a.err[name] = err
		a.order = append(a.order, name)
		a.mu.Unlock()
	}
	return in
}

// serve hands the message named name, of kind k, bounded by ctx, to
// ServeSend or ServeCall, with do run by its method.
func (a *advReplies) serve(to Dest[string], lane *Lane[advNote], k orderKind, name string, ctx context.Context, do func()) {
	in := a.inbound(ctx, k, name)
	if k == orderCall {
		ServeCall(to, &advCall{name: name, do: do}, in)
		return
	}
	ServeSend(to, lane, advNote{name: name, do: do}, in)
}

// replied reports how many times name was replied to, and the last error.
func (a *advReplies) replied(name string) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[name], a.err[name]
}

// wait waits, within orderPatience, for name's reply, and returns its error.
func (a *advReplies) wait(t *testing.T, name string) error {
	t.Helper()
	advPollFor(t, "the reply of "+name, func() bool { n, _ := a.replied(name); return n > 0 })
	_, err := a.replied(name)
	return err
}

// once fails the test unless every Inbound made was replied to exactly once.
func (a *advReplies) once(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, n := range a.n {
		if n != 1 {
			t.Errorf("message %s was replied to %d times, want exactly once", name, n)
		}
	}
}

// advPollFor waits, within orderPatience, until cond holds.
func advPollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(orderPatience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// advWaiting returns how many inbound messages wait for room in rc.
func advWaiting(rc *recipient) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.inbound == nil {
		return 0
	}
	return len(rc.inbound.waits)
}

// admitWaitingRunning reports whether a goroutine runs admitWaiting.
func admitWaitingRunning() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:goruntime.Stack(buf, true)]
	return strings.Contains(string(buf), ".admitWaiting(")
}

// advNoAdmitWaiting waits until no goroutine runs admitWaiting.
func advNoAdmitWaiting(t *testing.T) {
	t.Helper()
	advPollFor(t, "admitWaiting to end", func() bool { return !admitWaitingRunning() })
}

// advSetup registers an advLog under "k" and returns its Dest. Cleanup
// closes the router, which must return, and checks that admitWaiting ended.
func advSetup(t *testing.T, ropts []Option, opts ...RecipientOption) (*Router[string], Dest[string], *advLog) {
	t.Helper()
	r := NewRouter[string]("Adv", ropts...)
	log := &advLog{now: make(chan string, 1024)}
	if err := r.Register("k", log, opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), orderPatience)
		defer cancel()
		closed := make(chan error, 1)
		go func() { closed <- r.Close(ctx) }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(orderPatience + time.Second):
			t.Errorf("Close did not return")
		}
		advNoAdmitWaiting(t)
	})
	return r, r.Dest("k"), log
}

// advHold sends, locally, a one-way message that holds the recipient until
// the returned function is called (also at cleanup), and waits for it to
// start.
func advHold(t *testing.T, to Dest[string], log *advLog, name string) (unhold func()) {
	t.Helper()
	hold := make(chan struct{})
	var once sync.Once
	unhold = func() { once.Do(func() { close(hold) }) }
	t.Cleanup(unhold)
	var lane Lane[advNote]
	Send(context.Background(), to, &lane, advNote{name: name, do: func() { <-hold }})
	advPollFor(t, name+" to start", func() bool { return slices.Contains(log.names(), name) })
	return unhold
}

var advKinds = []struct {
	name string
	kind orderKind
}{{"send", orderSend}, {"call", orderCall}}

// Queued at once, or after waiting for room: every message runs, and its
// Reply says so exactly once.
func TestInboundAdvReplyOnceWhenQueued(t *testing.T) {
	for _, k := range advKinds {
		t.Run(k.name, func(t *testing.T) {
			r, to, log := advSetup(t, nil, WithMailboxSize(1))
			var lane Lane[advNote]
			rs := newAdvReplies()
			rs.serve(to, &lane, k.kind, "at-once", context.Background(), nil)
			if err := rs.wait(t, "at-once"); err != nil {
				t.Errorf("message queued at once ended with %v", err)
			}
			if err := r.Flush(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			unhold := advHold(t, to, log, "hold")
			rs.serve(to, &lane, k.kind, "waited", context.Background(), nil)
			if n := advWaiting(to.rc); n != 1 {
				t.Fatalf("%d inbound messages wait, want 1", n)
			}
			if n, _ := rs.replied("waited"); n != 0 && k.kind == orderCall {
				t.Errorf("a waiting call was replied to before it ran")
			}
			unhold()
			if err := rs.wait(t, "waited"); err != nil {
				t.Errorf("message queued after waiting ended with %v", err)
			}
			if err := r.Flush(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			if got := log.names(); !slices.Equal(got, []string{"at-once", "hold", "waited"}) {
				t.Errorf("ran %v, want [at-once hold waited]", got)
			}
			advNoAdmitWaiting(t)
			rs.once(t)
			st := r.Stats()["k"]
			if st.Queued != 0 || st.Handled != 3 || st.Failed != 0 {
				t.Errorf("Stats = %+v, want 3 handled, none queued or failed", st)
			}
		})
	}
}

// Refused at once: the recipient is closing (unregistered, its Dest kept),
// or its mailbox is full and it fails fast. The Reply says why, once, and
// the message does not run.
func TestInboundAdvReplyOnceWhenRefusedAtOnce(t *testing.T) {
	for _, k := range advKinds {
		t.Run(k.name+"/closing", func(t *testing.T) {
			r, to, log := advSetup(t, nil, WithMailboxSize(1))
			var lane Lane[advNote]
			if err := r.Unregister(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			rs := newAdvReplies()
			rs.serve(to, &lane, k.kind, "late", context.Background(), nil)
			if n, err := rs.replied("late"); n != 1 || !errors.Is(err, ErrClosed) {
				t.Errorf("a message to a stopped recipient was replied to %d times within ServeX, last with %v; want once, ErrClosed", n, err)
			}
			if got := log.names(); len(got) != 0 {
				t.Errorf("ran %v, want nothing", got)
			}
		})
		t.Run(k.name+"/closing with room taken", func(t *testing.T) {
			// Closing while another inbound message waits: refused at once
			// too, not queued behind the one that waits.
			r, to, log := advSetup(t, nil, WithMailboxSize(1))
			var lane Lane[advNote]
			unhold := advHold(t, to, log, "hold")
			rs := newAdvReplies()
			rs.serve(to, &lane, k.kind, "waits", context.Background(), nil)
			done := make(chan error, 1)
			go func() { done <- r.Unregister(context.Background(), "k") }()
			advPollFor(t, "the recipient to close", func() bool { to.rc.mu.Lock(); defer to.rc.mu.Unlock(); return to.rc.closing })
			rs.serve(to, &lane, k.kind, "late", context.Background(), nil)
			if n, err := rs.replied("late"); n != 1 || !errors.Is(err, ErrClosed) {
				t.Errorf("a message to a closing recipient was replied to %d times within ServeX, last with %v; want once, ErrClosed", n, err)
			}
			if err := rs.wait(t, "waits"); !errors.Is(err, ErrClosed) {
				t.Errorf("the message waiting when the recipient began to close ended with %v, want ErrClosed", err)
			}
			unhold()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			advNoAdmitWaiting(t)
			if got := log.names(); !slices.Equal(got, []string{"hold"}) {
				t.Errorf("ran %v, want [hold]", got)
			}
			rs.once(t)
		})
		t.Run(k.name+"/fail fast", func(t *testing.T) {
			r, to, log := advSetup(t, nil, WithMailboxSize(1), WithFailFast())
			var lane Lane[advNote]
			unhold := advHold(t, to, log, "hold")
			rs := newAdvReplies()
			rs.serve(to, &lane, k.kind, "full", context.Background(), nil)
			if n, err := rs.replied("full"); n != 1 || !errors.Is(err, ErrMailboxFull) {
				t.Errorf("a message to a full fail-fast mailbox was replied to %d times within ServeX, last with %v; want once, ErrMailboxFull", n, err)
			}
			if advWaiting(to.rc) != 0 || admitWaitingRunning() {
				t.Errorf("a fail-fast recipient keeps an inbound message waiting")
			}
			unhold()
			if err := r.Flush(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			if got := log.names(); !slices.Equal(got, []string{"hold"}) {
				t.Errorf("ran %v, want [hold]", got)
			}
			if st := r.Stats()["k"]; st.Rejected != 1 || st.Handled != 1 || st.Queued != 0 {
				t.Errorf("Stats = %+v, want 1 handled, 1 rejected", st)
			}
			rs.once(t)
		})
	}
}

// Refused once its Ctx ends while it waits, at the head of the waiting
// messages (admitWaiting watches it) and behind it (looked at when its turn
// comes): with an error wrapping ErrMailboxFull, once, and it never runs;
// the live ones behind it run, in order.
func TestInboundAdvReplyOnceWhenContextEndsWhileWaiting(t *testing.T) {
	for _, head := range advKinds {
		for _, behind := range advKinds {
			t.Run(head.name+" then "+behind.name, func(t *testing.T) {
				r, to, log := advSetup(t, nil, WithMailboxSize(1))
				var lane Lane[advNote]
				unhold := advHold(t, to, log, "hold")
				rs := newAdvReplies()
				ctx1, cancel1 := context.WithCancel(context.Background())
				defer cancel1()
				ctx3, cancel3 := context.WithCancel(context.Background())
				defer cancel3()
				rs.serve(to, &lane, head.kind, "1", ctx1, nil)
				rs.serve(to, &lane, behind.kind, "2", context.Background(), nil)
				rs.serve(to, &lane, behind.kind, "3", ctx3, nil)
				rs.serve(to, &lane, head.kind, "4", context.Background(), nil)
				if n := advWaiting(to.rc); n != 4 {
					t.Fatalf("%d inbound messages wait, want 4", n)
				}
				cancel1()
				if err := rs.wait(t, "1"); !errors.Is(err, ErrMailboxFull) || !errors.Is(err, context.Canceled) {
					t.Errorf("message 1, canceled at the head, ended with %v, want ErrMailboxFull and context.Canceled", err)
				}
				if n := advWaiting(to.rc); n != 3 {
					t.Errorf("%d inbound messages wait after the head was refused, want 3", n)
				}
				cancel3()
				// 2 now waits at the head; 3, behind it, has ended.
				unhold()
				for _, name := range []string{"2", "3", "4"} {
					rs.wait(t, name)
				}
				if err := r.Flush(context.Background(), "k"); err != nil {
					t.Fatal(err)
				}
				if _, err := rs.replied("3"); !errors.Is(err, ErrMailboxFull) {
					t.Errorf("message 3, canceled behind another, ended with %v, want ErrMailboxFull", err)
				}
				for _, name := range []string{"2", "4"} {
					if _, err := rs.replied(name); err != nil {
						t.Errorf("message %s ended with %v", name, err)
					}
				}
				if got := log.names(); !slices.Equal(got, []string{"hold", "2", "4"}) {
					t.Errorf("ran %v, want [hold 2 4]", got)
				}
				advNoAdmitWaiting(t)
				rs.once(t)
				// 1 and 3 were refused with ErrMailboxFull, as Rejected counts.
				if st := r.Stats()["k"]; st.Handled != 3 || st.Queued != 0 || st.Failed != 0 || st.Rejected != 2 {
					t.Errorf("Stats = %+v, want 3 handled and 2 rejected: the refused messages were never accepted", st)
				}
			})
		}
	}
}

// The recipient is unregistered, or the router closed, with a deadline that
// has passed, while its method is stuck, a call and a one-way message are
// queued, and messages of both kinds wait for room. Every waiting message
// is refused with ErrClosed, once, and none runs; the queued call fails
// with ErrClosed, the queued one-way message (replied to when queued) goes
// to the dead-letter handler; Unregister and Close return.
func TestInboundAdvReplyOnceWhenStoppedWhileWaiting(t *testing.T) {
	for _, how := range []string{"Unregister", "Close", "Revoke-like stop on panic"} {
		t.Run(how, func(t *testing.T) {
			var dmu sync.Mutex
			var dead []string
			ropts := []Option{WithDeadLetterHandler(func(d DeadLetter) {
				dmu.Lock()
				dead = append(dead, d.Message.(advNote).name+": "+d.Err.Error())
				dmu.Unlock()
			})}
			opts := []RecipientOption{WithMailboxSize(3)}
			if how == "Revoke-like stop on panic" {
				opts = append(opts, WithStopOnPanic())
			}
			r, to, log := advSetup(t, ropts, opts...)
			var lane Lane[advNote]
			rs := newAdvReplies()
			hold := make(chan struct{})
			var once sync.Once
			unhold := func() { once.Do(func() { close(hold) }) }
			t.Cleanup(unhold)
			// The stuck message is itself inbound: a call, replied to when it
			// ends (with a panic, for the stop-on-panic case).
			rs.serve(to, &lane, orderCall, "stuck", context.Background(), func() {
				<-hold
				if how == "Revoke-like stop on panic" {
					panic("stop")
				}
			})
			advPollFor(t, "stuck to start", func() bool { return slices.Contains(log.names(), "stuck") })
			rs.serve(to, &lane, orderCall, "qcall", context.Background(), nil)
			rs.serve(to, &lane, orderSend, "qsend", context.Background(), nil)
			for i, k := range []orderKind{orderSend, orderCall, orderSend, orderCall} {
				rs.serve(to, &lane, k, "w"+strconv.Itoa(i), context.Background(), nil)
			}
			if n := advWaiting(to.rc); n != 4 {
				t.Fatalf("%d inbound messages wait, want 4", n)
			}
			ended, cancel := context.WithCancel(context.Background())
			cancel()
			switch how {
			case "Unregister":
				if err := r.Unregister(ended, "k"); !errors.Is(err, context.Canceled) {
					t.Errorf("Unregister = %v, want context.Canceled", err)
				}
			case "Close":
				if err := r.Close(ended); !errors.Is(err, context.Canceled) {
					t.Errorf("Close = %v, want context.Canceled", err)
				}
			default:
				unhold()
			}
			// A one-way message that waited may find room after all when the
			// stop comes from the server, between the panicking call's end
			// and afterPanic: then it is queued (Reply ok) and goes to the
			// dead-letter handler with the rest.
			wantDead := []string{"qsend"}
			for _, name := range []string{"w0", "w1", "w2", "w3", "qcall"} {
				err := rs.wait(t, name)
				if err == nil && how == "Revoke-like stop on panic" && (name == "w0" || name == "w2") {
					wantDead = append(wantDead, name)
					continue
				}
				if !errors.Is(err, ErrClosed) {
					t.Errorf("message %s ended with %v, want ErrClosed", name, err)
				}
			}
			if err := rs.wait(t, "qsend"); err != nil {
				t.Errorf("qsend, queued, was replied to with %v", err)
			}
			unhold()
			err := rs.wait(t, "stuck")
			if how == "Revoke-like stop on panic" {
				var pe *PanicError
				if !errors.As(err, &pe) {
					t.Errorf("stuck ended with %v, want a *PanicError", err)
				}
			} else if err != nil {
				t.Errorf("stuck ended with %v", err)
			}
			advPollFor(t, "the recipient to stop", to.rc.finishedLocked)
			advNoAdmitWaiting(t)
			if got := log.names(); !slices.Equal(got, []string{"stuck"}) {
				t.Errorf("ran %v, want [stuck]", got)
			}
			dmu.Lock()
			var deadNames []string
			for _, d := range dead {
				name, rest, _ := strings.Cut(d, ": ")
				deadNames = append(deadNames, name)
				if !strings.Contains(rest, ErrClosed.Error()) {
					t.Errorf("dead letter %q, want ErrClosed", d)
				}
			}
			dmu.Unlock()
			slices.Sort(deadNames)
			slices.Sort(wantDead)
			if !slices.Equal(deadNames, wantDead) {
				t.Errorf("dead letters %q, want those of %v", dead, wantDead)
			}
			rs.once(t)
		})
	}
}

// A method that panics or calls runtime.Goexit, an interceptor that panics
// or never calls next: a call's Reply says so, once; a one-way message's
// Reply said it was queued, once, and the panic goes to the dead-letter
// handler. Each both queued at once and after waiting for room.
func TestInboundAdvReplyOnceWhateverTheHandlerDoes(t *testing.T) {
	type behaviour struct {
		name        string
		do          func()
		interceptor Interceptor
		check       func(error) bool
		runs        bool
		deadPanic   bool // a one-way m goes to the dead-letter handler with a *PanicError
	}
	isPanic := func(err error) bool { var pe *PanicError; return errors.As(err, &pe) }
	bs := []behaviour{
		{name: "panic", do: func() { panic("boom") }, check: isPanic, runs: true, deadPanic: true},
		{name: "goexit", do: goruntime.Goexit, check: func(err error) bool { return errors.Is(err, ErrGoexit) }, runs: true, deadPanic: true},
		{name: "interceptor panics", interceptor: func(ctx context.Context, _ CallInfo, next func(context.Context) error) error {
			panic("interceptor")
		}, check: isPanic, deadPanic: true},
		{name: "interceptor never calls next", interceptor: func(ctx context.Context, _ CallInfo, next func(context.Context) error) error {
			return nil
		}, check: func(err error) bool { return err == nil }},
		{name: "interceptor fails without next", interceptor: func(ctx context.Context, _ CallInfo, next func(context.Context) error) error {
			return errors.New("no")
		}, check: func(err error) bool { return err != nil && err.Error() == "no" }},
		{name: "interceptor goexit after next", interceptor: func(ctx context.Context, _ CallInfo, next func(context.Context) error) error {
			next(ctx)
			goruntime.Goexit()
			return nil
		}, check: func(err error) bool { return errors.Is(err, ErrGoexit) }, runs: true, deadPanic: true},
	}
	for _, b := range bs {
		for _, k := range advKinds {
			for _, waited := range []bool{false, true} {
				name := b.name + "/" + k.name + "/at once"
				if waited {
					name = b.name + "/" + k.name + "/after waiting"
				}
				t.Run(name, func(t *testing.T) {
					var dmu sync.Mutex
					var dead []error
					ropts := []Option{WithDeadLetterHandler(func(d DeadLetter) {
						dmu.Lock()
						dead = append(dead, d.Err)
						dmu.Unlock()
					})}
					if b.interceptor != nil {
						ic := b.interceptor
						ropts = append(ropts, WithInterceptors(func(ctx context.Context, info CallInfo, next func(context.Context) error) error {
							// Only message m's: the others pass.
							if ctx.Value(advTargetKey{}) == nil {
								return next(ctx)
							}
							return ic(ctx, info, next)
						}))
					}
					r, to, log := advSetup(t, ropts, WithMailboxSize(1))
					var lane Lane[advNote]
					rs := newAdvReplies()
					mctx := context.WithValue(context.Background(), advTargetKey{}, true)
					if waited {
						unhold := advHold(t, to, log, "hold")
						rs.serve(to, &lane, k.kind, "m", mctx, b.do)
						rs.serve(to, &lane, k.kind, "after", context.Background(), nil)
						if n := advWaiting(to.rc); n != 2 {
							t.Fatalf("%d inbound messages wait, want 2", n)
						}
						unhold()
					} else {
						rs.serve(to, &lane, k.kind, "m", mctx, b.do)
						rs.serve(to, &lane, k.kind, "after", context.Background(), nil)
					}
					err := rs.wait(t, "m")
					rs.wait(t, "after")
					if err := r.Flush(context.Background(), "k"); err != nil {
						t.Fatal(err)
					}
					if k.kind == orderCall {
						if !b.check(err) {
							t.Errorf("the call ended with %v", err)
						}
					} else if err != nil {
						t.Errorf("the one-way message, queued, was replied to with %v", err)
					}
					ran := slices.DeleteFunc(log.names(), func(s string) bool { return s == "hold" })
					want := []string{"after"}
					if b.runs {
						want = []string{"m", "after"}
					}
					if !slices.Equal(ran, want) {
						t.Errorf("ran %v, want %v", ran, want)
					}
					rs.once(t)
					if k.kind == orderSend && b.deadPanic {
						dmu.Lock()
						if len(dead) == 0 || !isPanic(dead[0]) {
							t.Errorf("dead letters %v, want the *PanicError of m", dead)
						}
						dmu.Unlock()
					}
					st := r.Stats()["k"]
					total := st.Handled + st.Failed + st.Panics
					accepted := uint64(2)
					if waited {
						accepted = 3
					}
					if st.Queued != 0 || total != accepted {
						t.Errorf("Stats = %+v, want %d messages ended and none queued", st, accepted)
					}
				})
			}
		}
	}
}

// advTargetKey marks the context of the message that the test's
// interceptor acts on.
type advTargetKey struct{}

// One goroutine delivers, as a transport does, a mix of one-way messages and
// calls to a small mailbox that fills, some with contexts that have ended or
// end while they wait. What runs runs in the order delivered; a message whose
// Reply succeeded ran (or, for a one-way message only, went to the
// dead-letter handler), one whose Reply failed did not run; every Reply
// comes once. With stop set, the router closes, with a deadline that
// passes, while messages are delivered.
func TestInboundAdvOrderAndOutcomesUnderLoad(t *testing.T) {
	for _, stop := range []bool{false, true} {
		t.Run(fmt.Sprintf("stop=%v", stop), func(t *testing.T) {
			var dmu sync.Mutex
			dead := map[string]bool{}
			ropts := []Option{WithDeadLetterHandler(func(d DeadLetter) {
				dmu.Lock()
				dead[d.Message.(advNote).name] = true
				dmu.Unlock()
			})}
			r, to, log := advSetup(t, ropts, WithMailboxSize(2))
			var lane Lane[advNote]
			rs := newAdvReplies()
			const n = 300
			ended, cancel := context.WithCancel(context.Background())
			cancel()
			var cancels []context.CancelFunc
			defer func() {
				for _, c := range cancels {
					c()
				}
			}()
			closed := make(chan error, 1)
			for i := range n {
				kind := orderSend
				if i%3 == 2 {
					kind = orderCall
				}
				ctx := context.Background()
				switch i % 7 {
				case 3:
					ctx = ended
				case 5:
					c, cf := context.WithCancel(context.Background())
					cancels = append(cancels, cf)
					ctx = c
				}
				rs.serve(to, &lane, kind, strconv.Itoa(i), ctx, goruntime.Gosched)
				if i%11 == 0 && len(cancels) > 0 {
					cancels[len(cancels)-1]()
				}
				if stop && i == n/2 {
					go func() {
						c, cf := context.WithTimeout(context.Background(), 200*time.Microsecond)
						defer cf()
						closed <- r.Close(c)
					}()
				}
			}
			if stop {
				<-closed
			}
			for i := range n {
				rs.wait(t, strconv.Itoa(i))
			}
			advPollFor(t, "the recipient to go idle or stop", func() bool {
				rc := to.rc
				rc.mu.Lock()
				defer rc.mu.Unlock()
				return (rc.state == idle || rc.state == stopped) && rc.q.len() == 0
			})
			if !stop {
				if err := r.Flush(context.Background(), "k"); err != nil {
					t.Fatal(err)
				}
			}
			advNoAdmitWaiting(t)
			rs.once(t)
			ran := log.names()
			last := -1
			seen := map[string]bool{}
			for _, name := range ran {
				i, _ := strconv.Atoi(name)
				if i <= last {
					t.Errorf("message %d ran after message %d: out of order (ran %v)", i, last, ran)
					break
				}
				last = i
				seen[name] = true
			}
			full := 0
			for i := range n {
				if _, err := rs.replied(strconv.Itoa(i)); errors.Is(err, ErrMailboxFull) {
					full++
				}
			}
			t.Logf("%d ran, %d refused with ErrMailboxFull", len(ran), full)
			dmu.Lock()
			defer dmu.Unlock()
			for i := range n {
				name := strconv.Itoa(i)
				_, err := rs.replied(name)
				switch {
				case err != nil && seen[name]:
					t.Errorf("message %s ran, and its Reply said %v", name, err)
				case err == nil && i%3 == 2 && !seen[name]:
					t.Errorf("call %s was replied to with success and did not run", name)
				case err == nil && i%3 != 2 && seen[name] == dead[name]:
					t.Errorf("one-way message %s, queued, ran %v and went to the dead-letter handler %v: want exactly one", name, seen[name], dead[name])
				}
			}
		})
	}
}

// Close waits, once the recipient has drained, until every inbound message
// that waited for room has been replied to and admitWaiting has ended: Close's
// doc says "Once the mailboxes have drained, no goroutine of the Router's is
// left", and the transport's Link.Close is called after that, so a Reply
// must not come later. Found by the adversarial tests: Close returned at
// once, and the Reply came afterwards.
//
// The state: mailbox of one, held by a local message; message 1, from
// another process, waits for room, and admitWaiting is held by its context
// (pausedCtx) in waitRoom, between releasing rc.mu and watching room. The
// hold ends, the recipient goes idle, and Close is called while admitWaiting
// is still held: pausedCtx widens the window in which admitWaiting has been
// woken but not yet scheduled, which any goroutine may be in on a loaded
// machine. It is let go a little later, so that a Close that does not wait
// returns before the Reply.
func TestInboundAdvCloseWaitsForWaitingMessagesToBeReplied(t *testing.T) {
	r, to, log := advSetup(t, nil, WithMailboxSize(1))
	var lane Lane[advNote]
	rs := newAdvReplies()
	unhold := advHold(t, to, log, "hold")
	paused := newPausedCtx()
	t.Cleanup(paused.resume)
	rs.serve(to, &lane, orderSend, "1", paused, nil)
	orderReceive(t, paused.entered, struct{}{}, "admitWaiting to wait for room")
	unhold()
	advPollFor(t, "the recipient to go idle", func() bool {
		to.rc.mu.Lock()
		defer to.rc.mu.Unlock()
		return to.rc.state == idle
	})
	go func() {
		time.Sleep(20 * time.Millisecond)
		paused.resume()
	}()
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := rs.replied("1"); n != 1 {
		t.Errorf("Close returned with message 1, which waited for room, replied to %d times, want 1", n)
	}
	// admitWaiting ends Close's wait from its last deferred call, so its
	// goroutine may outlive Close's return by those few instructions, as
	// any goroutine that says it is done does: it must then end.
	advNoAdmitWaiting(t)
	if err := rs.wait(t, "1"); !errors.Is(err, ErrClosed) {
		t.Errorf("message 1 ended with %v, want ErrClosed", err)
	}
	rs.once(t)
}

// The same without pausing anything: the hold ends and Close is called at
// once, as a program shutting down would. Before Close waited for
// admitWaiting, 280 of 300 rounds on a 2-core machine returned from Close
// before the Reply.
func TestInboundAdvCloseWaitsForWaitingMessagesToBeRepliedUnpaused(t *testing.T) {
	late := 0
	const rounds = 50
	for range rounds {
		r := NewRouter[string]("Adv")
		log := &advLog{now: make(chan string, 8)}
		if err := r.Register("k", log, WithMailboxSize(1)); err != nil {
			t.Fatal(err)
		}
		to := r.Dest("k")
		var lane Lane[advNote]
		hold := make(chan struct{})
		Send(context.Background(), to, &lane, advNote{name: "hold", do: func() { <-hold }})
		orderReceive(t, log.now, "hold", "hold to start")
		rs := newAdvReplies()
		rs.serve(to, &lane, orderSend, "1", context.Background(), nil)
		close(hold)
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, _ := rs.replied("1"); n == 0 {
			late++
		}
		rs.wait(t, "1")
		advNoAdmitWaiting(t)
		rs.once(t)
	}
	if late > 0 {
		t.Errorf("in %d of %d rounds Close returned before the inbound message that waited for room was replied to (admitWaiting still ran)", late, rounds)
	}
}

// An Unregister whose deadline passes while the recipient, stopped, still
// refuses the inbound messages that waited for room (its transport slow to
// take a Reply) has not seen the recipient's last counters: a message whose
// context ends meanwhile is refused with ErrMailboxFull after Unregister
// returns, and Stats must still count it as Rejected.
func TestInboundAdvRefusalAfterUnregisterReturnsIsCounted(t *testing.T) {
	r, to, log := advSetup(t, nil, WithMailboxSize(1))
	var lane Lane[advNote]
	unhold := advHold(t, to, log, "hold")
	rs := newAdvReplies()
	replying, release := make(chan struct{}), make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	a := rs.inbound(context.Background(), orderSend, "a")
	reply := a.Reply
	a.Reply = func(v any, err error) {
		close(replying)
		<-release
		reply(v, err)
	}
	ServeSend(to, &lane, advNote{name: "a"}, a)
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	rs.serve(to, &lane, orderSend, "b", ctxB, nil)
	if n := advWaiting(to.rc); n != 2 {
		t.Fatalf("%d inbound messages wait, want 2", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	unregistered := make(chan error, 1)
	go func() { unregistered <- r.Unregister(ctx, "k") }()
	select {
	case <-replying:
	case <-time.After(orderPatience):
		t.Fatal("a, waiting when Unregister began, was not refused")
	}
	unhold()
	if err := <-unregistered; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Unregister = %v, want its deadline exceeded while a's Reply is held", err)
	}
	cancelB()
	close(release)
	if err := rs.wait(t, "b"); !errors.Is(err, ErrMailboxFull) {
		t.Fatalf("b, whose context ended while it waited, was refused with %v, want ErrMailboxFull", err)
	}
	advNoAdmitWaiting(t)
	rs.once(t)
	if st := r.Stats()["k"]; st.Rejected != 1 || st.Handled != 1 {
		t.Errorf("Stats = %+v, want 1 handled (hold) and 1 rejected (b)", st)
	}
}
