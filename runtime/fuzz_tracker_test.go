package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// fzMarkKey is the context key under which a message's context carries the
// id of its item, so that the interceptor knows what to do with it and the
// method can check that the context's values reached it.
type fzMarkKey struct{}

// The values that the fuzz runs' methods, interceptor and dead-letter
// handler panic with, and the errors they return, so that an outcome of
// theirs is told apart from the runtime's.
const (
	fzBoom            = "boom"
	fzInterceptorBoom = "interceptor boom"
	fzDeadLetterBoom  = "dead-letter boom"
)

var (
	errFzJobFailed = errors.New("job failed as asked")
	errFzSkipped   = errors.New("the interceptor did not call next, as asked")
)

// fzSent is what the tracker is told of a message before it is sent.
type fzSent struct {
	key    string
	oneWay bool
	// marked is set when the message's context carries fzMarkKey, and
	// canEnd when a call's context can end, which its method must see.
	marked, canEnd bool
	spec           fzSpec
}

// fzResult is what a Future's OnResolve callback was called with.
type fzResult struct {
	v   Reply
	err error
}

// fzRecord is what happened to one message on the goroutines of the
// recipients, the dead-letter handler and the Futures' callbacks.
type fzRecord struct {
	sent fzSent
	by   string // the worker whose method began it
	// began counts the times its method began, exited and returned say
	// that it ended and how: by returning, or by a panic or runtime.Goexit.
	began            int
	exited, returned bool
	// gid is the goroutine that its method, or the acting interceptor, ran
	// on, recorded for calls only; "" if neither did.
	gid string
	// intercepted counts the times the acting interceptor got it, and
	// skipped is set once it returned nil without calling next.
	intercepted int
	skipped     bool
	dead        []runtime.DeadLetter
	callbacks   []fzResult
	// gate and started belong to a hold: its method waits at gate, and
	// closes started once it does.
	gate, started chan struct{}
}

// String summarizes the record for failure messages.
func (r fzRecord) String() string {
	s := fmt.Sprintf("began %d times", r.began)
	if r.by != "" {
		s += " on " + r.by
	}
	if r.exited {
		s += fmt.Sprintf(", ended (returned %v)", r.returned)
	}
	if r.intercepted > 0 {
		s += fmt.Sprintf(", intercepted %d times", r.intercepted)
	}
	if r.skipped {
		s += ", skipped"
	}
	for _, d := range r.dead {
		s += fmt.Sprintf(", dead letter %v", d.Err)
	}
	return s
}

// fzTracker collects what happens on goroutines other than the test's,
// under its own lock, since the test reads it while they run.
type fzTracker struct {
	mu   sync.Mutex
	recs map[int]*fzRecord
	// order lists, per worker, the messages whose method began, in order.
	order map[string][]int
	// dead counts the dead letters, panicked those the handler panicked
	// at, logged the logger's reports of it, and outer the messages the
	// outer interceptor got.
	dead, panicked, logged, outer int
	deadLetterPanics              bool
	problems                      []string
	// progress is signaled whenever something the test may wait for
	// happens.
	progress chan struct{}
}

func newFzTracker(deadLetterPanics bool) *fzTracker {
	return &fzTracker{
		recs:             map[int]*fzRecord{},
		order:            map[string][]int{},
		deadLetterPanics: deadLetterPanics,
		progress:         make(chan struct{}, 1),
	}
}

// rec returns, with tr.mu held, the record of the message id.
func (tr *fzTracker) rec(id int) *fzRecord {
	r := tr.recs[id]
	if r == nil {
		r = &fzRecord{}
		tr.recs[id] = r
	}
	return r
}

// expect tells the tracker of the message id before it is sent.
func (tr *fzTracker) expect(id int, s fzSent) {
	tr.mu.Lock()
	tr.rec(id).sent = s
	tr.mu.Unlock()
}

// record returns a copy of what happened to the message id, so that the
// test never reads a record that other goroutines may still write.
func (tr *fzTracker) record(id int) fzRecord {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := *tr.rec(id)
	r.dead = slices.Clone(r.dead)
	r.callbacks = slices.Clone(r.callbacks)
	return r
}

// signal wakes the test, with tr.mu held, if it waits for progress.
func (tr *fzTracker) signal() {
	select {
	case tr.progress <- struct{}{}:
	default:
	}
}

func (tr *fzTracker) problemf(format string, args ...any) {
	tr.mu.Lock()
	tr.problems = append(tr.problems, fmt.Sprintf(format, args...))
	tr.mu.Unlock()
}

// begin records that the method of the message id began on the worker
// named by, and returns what the test said of the message.
func (tr *fzTracker) begin(by string, id int, gid string) fzSent {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := tr.rec(id)
	r.began++
	if r.began > 1 {
		tr.problems = append(tr.problems, fmt.Sprintf("message #%d began %d times, on %s and %s", id, r.began, r.by, by))
	}
	r.by = by
	if gid != "" {
		r.gid = gid
	}
	tr.order[by] = append(tr.order[by], id)
	return r.sent
}

// exit records that the method of the message id ended.
func (tr *fzTracker) exit(id int, returned bool) {
	tr.mu.Lock()
	r := tr.rec(id)
	r.exited, r.returned = true, returned
	tr.signal()
	tr.mu.Unlock()
}

// setGate readies the hold id, before it is sent.
func (tr *fzTracker) setGate(id int, gate, started chan struct{}) {
	tr.mu.Lock()
	r := tr.rec(id)
	r.gate, r.started = gate, started
	tr.mu.Unlock()
}

// holdBegan tells the test that the hold id waits, and returns its gate.
func (tr *fzTracker) holdBegan(id int) chan struct{} {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := tr.rec(id)
	close(r.started)
	return r.gate
}

// began returns the order in which the methods of the worker named by
// began.
func (tr *fzTracker) began(by string) []int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.order[by])
}

// outerIntercept is the outermost interceptor: it counts the messages and
// checks what it is told of them.
func (tr *fzTracker) outerIntercept(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
	tr.mu.Lock()
	tr.outer++
	key, isKey := info.Key.(string)
	if info.Recipient != "Worker" || !isKey || info.OneWay != (info.Method == "Tell") ||
		(info.Method != "Do" && info.Method != "Tell") {
		tr.problems = append(tr.problems, fmt.Sprintf("interceptor got %+v", info))
	}
	if id, ok := ctx.Value(fzMarkKey{}).(int); ok {
		if s := tr.rec(id).sent; s.key != key || s.oneWay != info.OneWay {
			tr.problems = append(tr.problems, fmt.Sprintf("interceptor got %+v for message #%d, sent to %s", info, id, s.key))
		}
	}
	tr.mu.Unlock()
	return next(ctx)
}

// intercept is the inner interceptor: it does to a message whose context
// carries its mark what the message's spec says.
func (tr *fzTracker) intercept(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
	id, ok := ctx.Value(fzMarkKey{}).(int)
	if !ok {
		return next(ctx)
	}
	gid := ""
	if !info.OneWay {
		gid = goroutineID()
	}
	tr.mu.Lock()
	r := tr.rec(id)
	r.intercepted++
	if r.gid == "" {
		r.gid = gid
	}
	spec := r.sent.spec
	tr.signal()
	tr.mu.Unlock()
	switch spec {
	case fzSpecPanicBefore:
		panic(fzInterceptorBoom)
	case fzSpecPanicAfter:
		_ = next(ctx)
		panic(fzInterceptorBoom)
	case fzSpecSkipErr:
		return errFzSkipped
	case fzSpecSkipNil:
		tr.mu.Lock()
		tr.rec(id).skipped = true
		tr.signal()
		tr.mu.Unlock()
		return nil
	case fzSpecTwice:
		err := next(ctx)
		if again := next(ctx); again == nil || !strings.Contains(again.Error(), "more than once") {
			tr.problemf("next called twice for message #%d returned %v the second time", id, again)
		}
		return err
	case fzSpecGoexit:
		goruntime.Goexit()
	}
	return next(ctx)
}

// deadLetter is the dispatcher's dead-letter handler; it panics after
// recording when the run's configuration says so.
func (tr *fzTracker) deadLetter(d runtime.DeadLetter) {
	tr.mu.Lock()
	m, ok := d.Message.(workerTell)
	if !ok || d.Recipient != "Worker" || d.Method != "Tell" {
		tr.problems = append(tr.problems, fmt.Sprintf("dead letter %+v is not a Worker.Tell", d))
	} else {
		_, id := fzParseNote(m.note)
		if _, sent := tr.recs[id]; !sent {
			tr.problems = append(tr.problems, fmt.Sprintf("dead letter for a message never sent: %#v, %v", m, d.Err))
		}
		r := tr.rec(id)
		r.dead = append(r.dead, d)
	}
	tr.dead++
	panics := tr.deadLetterPanics
	if panics {
		tr.panicked++
	}
	tr.signal()
	tr.mu.Unlock()
	if panics {
		panic(fzDeadLetterBoom)
	}
}

// resolved is an OnResolve callback of the Future of the message id.
func (tr *fzTracker) resolved(id int, v Reply, err error) {
	tr.mu.Lock()
	r := tr.rec(id)
	r.callbacks = append(r.callbacks, fzResult{v, err})
	tr.signal()
	tr.mu.Unlock()
}

// fzLogHandler is the dispatcher's log: the runtime reports each panic of
// the dead-letter handler there, and nothing else.
type fzLogHandler struct{ tr *fzTracker }

func (h fzLogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h fzLogHandler) Handle(_ context.Context, r slog.Record) error {
	tr := h.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if r.Message != "dispatch: dead-letter handler panicked" || r.Level != slog.LevelError {
		tr.problems = append(tr.problems, fmt.Sprintf("unexpected log record %q at %v", r.Message, r.Level))
		return nil
	}
	tr.logged++
	tr.signal()
	return nil
}

func (h fzLogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h fzLogHandler) WithGroup(string) slog.Handler      { return h }

// fzParseNote returns the job and the id that a Tell's note spells.
func fzParseNote(note string) (fzJob, int) {
	name, num, _ := strings.Cut(note, "#")
	id, _ := strconv.Atoi(num)
	return fzJobOf(name), id
}
