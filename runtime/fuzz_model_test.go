package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// fzOutcome is a set of the ways a message may end, so that the model can
// allow several where the runtime's timing decides.
type fzOutcome uint8

const (
	fzRan         fzOutcome = 1 << iota // as its job and spec say
	fzCanceled                          // its context ended before it ran
	fzClosed                            // ErrClosed
	fzNoRecipient                       // ErrNoRecipient
	fzFull                              // ErrMailboxFull
)

// String spells the set for failure messages.
func (o fzOutcome) String() string {
	var s []string
	for i, name := range []string{"ran", "canceled", "ErrClosed", "ErrNoRecipient", "ErrMailboxFull"} {
		if o&(1<<i) != 0 {
			s = append(s, name)
		}
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, " or ")
}

type fzKind uint8

const (
	fzKindCall fzKind = iota
	fzKindAsync
	fzKindTell
)

// fzItem is one message sent: how it was sent, what the model allows it to
// end with, and what it ended with.
type fzItem struct {
	id   int
	kind fzKind
	key  string
	msg  fzMsg
	// w is the worker whose mailbox accepted it, pos its place there; nil
	// if no mailbox did.
	w   *fzWorker
	pos int
	// callerGID is the goroutine that made a call; mustInline is set for
	// a call that its caller must run itself: one that cannot be abandoned,
	// to a recipient that has never had a message.
	callerGID  string
	mustInline bool
	fut        *runtime.Future[Reply]
	snd        *fzSender // a call made from a goroutine of the test's
	cancel     context.CancelFunc
	// ctxDone is set once its context has ended, ctxEnds when it ends by
	// itself soon.
	ctxDone, ctxEnds bool
	hold             *fzHold
	// aborted is set once an Unregister, a Close or a panic under
	// WithStopOnPanic may have failed it.
	aborted bool
	// callbacks counts the OnResolve callbacks given its Future.
	callbacks int
	allow     fzOutcome

	got    fzOutcome // 0 until observed
	reply  Reply
	err    error
	detail string
}

func (it *fzItem) String() string {
	name := [...]string{fzKindCall: "Do", fzKindAsync: "DoAsync", fzKindTell: "Tell"}[it.kind]
	return fmt.Sprintf("%s #%d to %s (%s)", name, it.id, it.key, it.msg)
}

// job returns the Job of a call.
func (it *fzItem) job() Job { return Job{From: it.msg.job.String(), Seq: it.id} }

// note returns the note of a Tell.
func (it *fzItem) note() string { return fmt.Sprintf("%s#%d", it.msg.job, it.id) }

// poisons reports whether it, once run, stops a recipient registered
// WithStopOnPanic.
func (it *fzItem) poisons() bool {
	_, panics := wantPanic(it.msg)
	return panics
}

// fzWorker is the model of one registered recipient.
type fzWorker struct {
	key, name string
	impl      *fzImpl
	// size is the mailbox's, 0 if unbounded.
	size                  int
	failFast, stopOnPanic bool
	items                 []*fzItem // the messages its mailbox accepted, in order
	rejected              int       // the sends refused with ErrMailboxFull
	// doom is a message queued behind a hold that, once run, stops the
	// recipient (WithStopOnPanic): everything queued behind it fails.
	doom *fzItem
	// gone is set once it is no longer registered, drained once an
	// Unregister or Close returned nil for it, and retired once an
	// Unregister or Close stopped it, after which Stats keeps its last
	// counters until its key is registered again.
	gone, drained, retired bool
	// final is what Stats showed of it once it was retired.
	final runtime.Stats
}

// fzHold is a message whose method waits at a gate until the test opens
// it, which makes "queued" and "stuck" certain rather than a matter of
// timing.
type fzHold struct {
	it       *fzItem
	gate     chan struct{}
	started  chan struct{}
	released bool // the model no longer counts on it waiting
	opened   bool // gate is closed
}

// open lets the hold's method return.
func (h *fzHold) open() {
	if !h.opened {
		h.opened = true
		close(h.gate)
	}
}

// fzRun is the model and the dispatcher of one fuzz run.
type fzRun struct {
	t            *testing.T
	d            *WorkerDispatcher
	tr           *fzTracker
	intercepting bool
	// unbounded is set when the dispatcher's mailboxes are unbounded by
	// default.
	unbounded bool
	// gid is the test goroutine's.
	gid string

	byKey map[string]*fzWorker
	// lastByKey is the last worker registered under each key, registered
	// or not.
	lastByKey  map[string]*fzWorker
	workers    []*fzWorker
	closed     bool
	items      []*fzItem
	pending    []*fzItem // items not yet seen to end
	cancelable []*fzItem
	holds      []*fzHold
	// dooms are the messages sent by the current operation that stop
	// their recipient once run, checked when it ends.
	dooms      []*fzItem
	nextID     int
	tells      int
	timedWaits int

	cancels []context.CancelFunc
	senders []chan struct{}
	// trace lists the operations so far, for the failure messages; mu
	// guards it, since the watchdog reads it on a goroutine of its own.
	mu       sync.Mutex
	trace    []string
	watchdog *time.Timer
}

func newFzRun(t *testing.T, config byte) *fzRun {
	tr := newFzTracker(config&fzConfigDeadLetterPanics != 0)
	opts := []runtime.Option{runtime.WithDeadLetterHandler(tr.deadLetter), runtime.WithLogger(slog.New(fzLogHandler{tr}))}
	if config&fzConfigUnbounded != 0 {
		opts = append(opts, runtime.WithUnbounded())
	}
	if config&fzConfigIntercept != 0 {
		opts = append(opts, runtime.WithInterceptors(tr.outerIntercept, tr.intercept))
	}
	if config&fzConfigDedicated != 0 {
		opts = append(opts, runtime.WithDedicatedGoroutine())
	}
	return &fzRun{
		t:            t,
		d:            NewWorkerDispatcher(opts...),
		tr:           tr,
		intercepting: config&fzConfigIntercept != 0,
		unbounded:    config&fzConfigUnbounded != 0,
		gid:          goroutineID(),
		byKey:        map[string]*fzWorker{},
		lastByKey:    map[string]*fzWorker{},
	}
}

// logf records an operation for fatalf.
func (m *fzRun) logf(format string, args ...any) {
	m.mu.Lock()
	m.trace = append(m.trace, fmt.Sprintf(format, args...))
	m.mu.Unlock()
}

// fatalf reports the operations so far with the failure, since a fuzz input
// is unreadable bytes, and whatever wrong the tracker saw, which is often
// the cause.
func (m *fzRun) fatalf(format string, args ...any) {
	m.t.Helper()
	m.tr.mu.Lock()
	problems := strings.Join(m.tr.problems, "\n  ")
	m.tr.mu.Unlock()
	if problems != "" {
		problems = "\nseen on the runtime's goroutines:\n  " + problems
	}
	m.mu.Lock()
	trace := strings.Join(m.trace, "\n  ")
	m.mu.Unlock()
	m.t.Fatalf("%s%s\noperations:\n  %s", fmt.Sprintf(format, args...), problems, trace)
}

// wantErr fails unless err matches one of want, nil meaning success, so that
// each operation spells out every result the model allows.
func (m *fzRun) wantErr(what string, err error, want ...error) {
	m.t.Helper()
	for _, w := range want {
		if w == nil && err == nil || w != nil && errors.Is(err, w) {
			return
		}
	}
	m.fatalf("%s = %v, want one of %v", what, err, want)
}

// registered returns the workers registered now, by key, so that runs are
// repeatable.
func (m *fzRun) registered() []*fzWorker {
	ws := make([]*fzWorker, 0, len(m.byKey))
	for _, w := range m.byKey {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b *fzWorker) int { return strings.Compare(a.key, b.key) })
	return ws
}

// newItem numbers a message, makes its context and tells the tracker about
// it. The caller must call cancel if it does not send it.
func (m *fzRun) newItem(kind fzKind, key string, msg fzMsg) (it *fzItem, ctx context.Context, cancel context.CancelFunc) {
	m.nextID++
	it = &fzItem{id: m.nextID, kind: kind, key: key, msg: msg}
	ctx, cancel = context.Background(), func() {}
	switch msg.ctx {
	case fzCtxCanceled:
		ctx, it.ctxDone = fzCanceledContext(), true
	case fzCtxCancelable:
		ctx, cancel = context.WithCancel(ctx)
		it.cancel = cancel
	case fzCtxDeadline:
		if m.timedWaits < fzMaxTimedWaits {
			m.timedWaits++
			ctx, cancel = context.WithTimeout(ctx, time.Millisecond)
			it.ctxEnds = true
		} else {
			ctx, cancel = context.WithDeadline(ctx, time.Now())
			it.ctxDone = true
		}
	case fzCtxFar:
		ctx, cancel = context.WithTimeout(ctx, time.Hour)
	}
	m.cancels = append(m.cancels, cancel)
	marked := msg.spec != fzSpecPass || msg.ctx == fzCtxValue || msg.ctx == fzCtxCancelable || msg.ctx == fzCtxFar
	if marked {
		ctx = context.WithValue(ctx, fzMarkKey{}, it.id)
	}
	m.tr.expect(it.id, fzSent{key: key, oneWay: kind == fzKindTell, marked: marked, canEnd: ctx.Done() != nil, spec: msg.spec})
	if msg.job.holds() && !msg.spec.skips() {
		h := &fzHold{it: it, gate: make(chan struct{}), started: make(chan struct{})}
		m.tr.setGate(it.id, h.gate, h.started)
		if kind != fzKindTell && (it.ctxDone || it.ctxEnds) {
			// Whether it runs at all is a matter of timing: it must not
			// block what comes after it.
			h.open()
		} else {
			it.hold = h
		}
	}
	return it, ctx, cancel
}

// fzCanceledContext is a context that has ended before the message is
// sent, which makes its failure certain.
func fzCanceledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

const (
	fzAccept       fzAdmit = iota // it is accepted
	fzRefuse                      // it is refused, as it.allow says
	fzFullOrAccept                // under WithFailFast, it may find the mailbox full
	fzSkip                        // it would wait for ever, or the model could not tell
)
