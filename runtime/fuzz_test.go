package runtime_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// The fuzz input is one configuration byte followed by two bytes per
// operation: the operation, then its argument, whose low bits pick one of
// fzKeys keys and whose high bits pick a variant (or, for fzOpCancel and
// fzOpRelease, which earlier call or hold the operation applies to).
const (
	fzMaxOps = 200
	fzKeys   = 4
	// fzTinyKey is outside the keys the other operations draw from, so that
	// the one recipient with a mailbox of one place can never make the test
	// goroutine wait for room except where fzOpOverflow arranges it.
	fzTinyKey = "tiny"
	// fzRoomWait bounds a wait for room that a correct runtime ends as soon
	// as room is made, and fzDrainWait a Close or Await that a correct
	// runtime ends as soon as every gate is open; neither is ever reached by
	// a passing run, so they cost nothing but a bounded failure.
	fzRoomWait  = 2 * time.Second
	fzDrainWait = 5 * time.Second
	// fzMaxTimedWaits caps the live deadlines given to Unregister and Close
	// per run, so that a run stays fast whatever the input.
	fzMaxTimedWaits = 2
)

// The configuration byte's bits.
const (
	fzConfigUnbounded = 1 << iota
	fzConfigIntercept
	fzConfigDedicated
)

// The operations.
const (
	fzOpRegister    = iota // key; variant 7 of 8 registers a nil recipient
	fzOpRegisterDup        // a key registered now, if any
	fzOpUnregister         // key; context Background, canceled or deadline
	fzOpDo                 // key; job and context, see call
	fzOpDoAsync            // key; context and job, see callAsync
	fzOpCancel             // cancel the context of an earlier asynchronous call
	fzOpTell               // key; normal, with a canceled context, or panicking
	fzOpClose              // gentle, with a canceled context or a deadline
	fzOpCheck              // Keys and Stats against the model
	fzOpHold               // key; block its recipient in a method until released
	fzOpRelease            // release an earlier hold
	fzOpOverflow           // a sender waits for room in a full mailbox, see overflow
	fzNumOps
)

// The kinds of job, carried in Job.From so that the worker's hook knows what
// to do and the model knows what the method returns.
const (
	fzJobNormal = "normal"
	fzJobFail   = "fail"
	fzJobPanic  = "panic"
	fzJobSelf   = "self"
	fzJobHold   = "hold"
)

var fzKeyNames = [fzKeys]string{"k0", "k1", "k2", "k3"}

// errFzJobFailed is what a fzJobFail makes Do return, so that a method's own
// error is told apart from the runtime's.
var errFzJobFailed = errors.New("job failed as asked")

// FuzzRouterModel runs a sequence of operations on a WorkerDispatcher and
// checks each outcome against a model of which keys are registered, which
// recipients are blocked in a method, and whether the dispatcher is closed.
// At the end every call and one-way message must have ended exactly once,
// with an outcome the model allows, in the order it was sent.
func FuzzRouterModel(f *testing.F) {
	type op = [3]int // operation, key, variant
	seeds := [][]byte{
		nil,
		[]byte("dispatchgen: a mixed bag of operations"),
		// Lifecycle: calls to registered, unregistered and closed keys.
		fzProgram(0,
			op{fzOpRegister, 0, 0}, op{fzOpRegister, 1, 0}, op{fzOpDo, 0, 0},
			op{fzOpDoAsync, 1, 0}, op{fzOpTell, 0, 0}, op{fzOpCheck, 0, 0},
			op{fzOpRegisterDup, 0, 0}, op{fzOpRegister, 2, 7}, op{fzOpUnregister, 0, 0},
			op{fzOpDo, 0, 0}, op{fzOpDoAsync, 0, 0}, op{fzOpTell, 0, 0}, op{fzOpCheck, 0, 0},
			op{fzOpClose, 0, 0}, op{fzOpDo, 1, 0}, op{fzOpDoAsync, 1, 0}, op{fzOpTell, 1, 0},
			op{fzOpRegister, 2, 0}, op{fzOpUnregister, 1, 0}, op{fzOpClose, 0, 1},
			op{fzOpCheck, 0, 0}),
		// Holds, cancellation while queued, an abandoning Unregister, and
		// failing, panicking and self-calling jobs, through an interceptor.
		fzProgram(fzConfigIntercept,
			op{fzOpRegister, 0, 0}, op{fzOpRegister, 1, 0}, op{fzOpHold, 0, 0},
			op{fzOpDoAsync, 0, 1}, op{fzOpDoAsync, 0, 4}, op{fzOpDoAsync, 0, 2},
			op{fzOpTell, 0, 0}, op{fzOpDo, 0, 1}, op{fzOpCheck, 0, 0}, op{fzOpCancel, 0, 0},
			op{fzOpUnregister, 0, 1}, op{fzOpRelease, 0, 0}, op{fzOpRegister, 0, 0},
			op{fzOpDo, 0, 4}, op{fzOpDo, 0, 3}, op{fzOpDo, 0, 2}, op{fzOpDoAsync, 1, 6},
			op{fzOpTell, 1, 2}, op{fzOpDo, 1, 5}, op{fzOpCheck, 0, 0}, op{fzOpClose, 0, 1}),
		// The same lifecycle with dedicated goroutines, which park between
		// messages and must end with their recipient.
		fzProgram(fzConfigDedicated,
			op{fzOpRegister, 0, 0}, op{fzOpRegister, 1, 0}, op{fzOpDo, 0, 0},
			op{fzOpTell, 0, 0}, op{fzOpDoAsync, 1, 0}, op{fzOpHold, 1, 0},
			op{fzOpTell, 1, 2}, op{fzOpRelease, 0, 0}, op{fzOpCheck, 0, 0},
			op{fzOpUnregister, 0, 0}, op{fzOpDo, 1, 0}, op{fzOpClose, 0, 2},
			op{fzOpCheck, 0, 0}),
		// Deadlines on Unregister and Close while recipients are blocked.
		fzProgram(fzConfigUnbounded,
			op{fzOpRegister, 0, 0}, op{fzOpRegister, 1, 0}, op{fzOpRegister, 2, 0},
			op{fzOpHold, 1, 0}, op{fzOpDoAsync, 1, 1}, op{fzOpTell, 1, 0},
			op{fzOpDoAsync, 2, 0}, op{fzOpUnregister, 2, 2}, op{fzOpHold, 0, 0},
			op{fzOpUnregister, 0, 2}, op{fzOpCancel, 0, 0}, op{fzOpClose, 0, 2},
			op{fzOpRelease, 0, 0}, op{fzOpRelease, 0, 0}, op{fzOpRegister, 0, 0},
			op{fzOpTell, 0, 0}, op{fzOpCheck, 0, 0}),
		// Senders waiting for room, freed by their own context, by
		// Unregister and by Close.
		fzProgram(fzConfigUnbounded|fzConfigIntercept,
			op{fzOpOverflow, 0, 1}, op{fzOpOverflow, 0, 5}, op{fzOpRegister, 0, 0},
			op{fzOpOverflow, 0, 2}, op{fzOpOverflow, 0, 6}, op{fzOpCheck, 0, 0},
			op{fzOpOverflow, 0, 3}, op{fzOpOverflow, 0, 0}),
		// The same with the mailbox filled by a call run on its caller's
		// goroutine.
		fzProgram(fzConfigIntercept,
			op{fzOpOverflow, 0, 9}, op{fzOpOverflow, 0, 13}, op{fzOpRegister, 1, 0},
			op{fzOpOverflow, 0, 10}, op{fzOpOverflow, 0, 15}, op{fzOpCheck, 0, 0}),
		// A sender waiting for room, freed by the recipient finishing the
		// call that filled its mailbox: one it served on its own goroutine,
		// then one it served on its caller's. Both fail, after fzRoomWait,
		// for as long as a recipient that finishes that call and finds
		// nothing queued goes idle without waking the senders waiting for
		// room.
		fzProgram(0, op{fzOpOverflow, 0, 0}),
		fzProgram(0, op{fzOpOverflow, 0, 8}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var config byte
		if len(data) > 0 {
			config, data = data[0], data[1:]
		}
		m := newFzRun(t, config)
		defer m.teardown()
		for i := 0; i+1 < len(data) && i/2 < fzMaxOps; i += 2 {
			m.step(data[i], data[i+1])
		}
		m.finish()
	})
}

// fzProgram spells a fuzz input, so that the seeds read as the operation
// sequences they were written to exercise.
func fzProgram(config byte, ops ...[3]int) []byte {
	b := []byte{config}
	for _, op := range ops {
		b = append(b, byte(op[0]), byte(op[1]+fzKeys*op[2]))
	}
	return b
}

// fzOutcome is a set of the ways a call or one-way message may end, so that
// the model can allow several where the runtime's timing decides.
type fzOutcome uint8

const (
	fzRan         fzOutcome = 1 << iota // the method ran and returned what its job asks
	fzCanceled                          // the caller's context ended first
	fzClosed                            // ErrClosed
	fzNoRecipient                       // ErrNoRecipient
)

// String spells the set for failure messages.
func (o fzOutcome) String() string {
	var s []string
	for i, name := range []string{"ran", "canceled", "ErrClosed", "ErrNoRecipient"} {
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

// fzItem is one message sent: what the model allows it to end with, and
// what it ended with.
type fzItem struct {
	id   int
	kind fzKind
	key  string
	job  Job    // From is the kind of job
	note string // a Tell's note, unique to it
	w    *fzWorker
	fut  *runtime.Future[Reply]
	// done is closed when a Do made from a goroutine of the test's own has
	// returned, and its reply and err may be read.
	done chan struct{}
	// cancel ends the context of an asynchronous call, for fzOpCancel.
	cancel context.CancelFunc
	// ctxDone is set once the message's context has ended: its Future may
	// then be resolved by the runtime's context.AfterFunc goroutine, a little
	// after the recipient has moved on.
	ctxDone bool
	// behindHold is set while the message is queued behind a held call, so
	// that it certainly has not run.
	behindHold bool
	aborted    bool
	allow      fzOutcome

	got    fzOutcome // 0 until observed
	reply  Reply
	err    error
	detail string
}

func (it *fzItem) String() string {
	name := [...]string{fzKindCall: "Do", fzKindAsync: "DoAsync", fzKindTell: "Tell"}[it.kind]
	return fmt.Sprintf("%s #%d to %s (job %s)", name, it.id, it.key, it.job.From)
}

// fzWorker is the model of one registered recipient.
type fzWorker struct {
	key, name string
	impl      *testWorker
	hold      *fzHold   // the held call blocking it now, if any
	items     []*fzItem // the messages its mailbox accepted, in send order
	accepted  int
	behind    int  // messages accepted behind hold
	drained   bool // an Unregister or Close returned nil for it
}

// fzHold is a call that blocks its recipient in a method until the test
// opens its gate, which makes "queued" and "abandoned" certain rather than a
// matter of timing.
type fzHold struct {
	id       int
	w        *fzWorker
	gate     chan struct{}
	released bool
}

// fzTellRecord is everything that happened to one one-way message.
type fzTellRecord struct {
	n   int    // how many outcomes it had: more than one is a bug
	by  string // the worker whose Tell ran it
	err error  // or the dead letter's error
	key any    // and the dead letter's key
}

// fzTracker collects what happens on the recipients' goroutines, under its
// own lock, since the test may read it while they still run.
type fzTracker struct {
	mu          sync.Mutex
	gates       map[int]chan struct{}
	started     map[int]chan struct{}
	tells       map[string]*fzTellRecord
	handled     map[string][]string // per worker, the notes its Tell ran, in order
	ran, dead   int
	intercepted int
	problems    []string
	progress    chan struct{} // signaled after each Tell outcome
}

func (tr *fzTracker) setGate(id int, gate, started chan struct{}) {
	tr.mu.Lock()
	tr.gates[id], tr.started[id] = gate, started
	tr.mu.Unlock()
}

// enter is called by the held call's hook, which knows only its Job: it
// tells the test that the call runs, and returns the gate to wait at.
func (tr *fzTracker) enter(id int) chan struct{} {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	close(tr.started[id])
	return tr.gates[id]
}

// recordTell must be called with tr.mu held.
func (tr *fzTracker) recordTell(note string, rec fzTellRecord) {
	if old := tr.tells[note]; old != nil {
		old.n++
	} else {
		rec.n = 1
		tr.tells[note] = &rec
	}
	select {
	case tr.progress <- struct{}{}:
	default:
	}
}

// deadLetter is the dispatcher's dead-letter handler. It runs on senders' and
// recipients' goroutines alike, hence the lock.
func (tr *fzTracker) deadLetter(d runtime.DeadLetter) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	m, ok := d.Message.(workerTell)
	if !ok || d.Recipient != "Worker" || d.Method != "Tell" {
		tr.problems = append(tr.problems, fmt.Sprintf("dead letter %+v is not a Worker.Tell", d))
		return
	}
	tr.dead++
	tr.recordTell(m.note, fzTellRecord{err: d.Err, key: d.Key})
}

// tellRan is called from the worker's Tell hook: the worker's own notes may
// not be read before it has drained, these may.
func (tr *fzTracker) tellRan(name, note string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.ran++
	tr.handled[name] = append(tr.handled[name], note)
	tr.recordTell(note, fzTellRecord{by: name})
}

// intercept counts the messages that run, which must be exactly those the
// model sees ran.
func (tr *fzTracker) intercept(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) error {
	tr.mu.Lock()
	tr.intercepted++
	_, isKey := info.Key.(string)
	if info.Recipient != "Worker" || !isKey || info.OneWay != (info.Method == "Tell") ||
		(info.Method != "Do" && info.Method != "Tell") {
		tr.problems = append(tr.problems, fmt.Sprintf("interceptor got %+v", info))
	}
	tr.mu.Unlock()
	return next(ctx)
}

// tell returns a copy of what happened to the Tell with note, or nil, so
// that the test never reads a record the recipients may still write.
func (tr *fzTracker) tell(note string) *fzTellRecord {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if rec := tr.tells[note]; rec != nil {
		c := *rec
		return &c
	}
	return nil
}

// fzSender sends one message, from a goroutine of its own, to a mailbox
// that is full.
type fzSender struct {
	d    *WorkerDispatcher
	ctx  context.Context
	it   *fzItem
	done chan struct{}
}

// run is a method, not a closure, so that parked can find it by name.
func (s *fzSender) run() {
	defer close(s.done)
	if s.it.kind == fzKindTell {
		s.d.To(fzTinyKey).Tell(s.ctx, s.it.note)
	} else {
		s.it.reply, s.it.err = s.d.To(fzTinyKey).Do(s.ctx, s.it.job)
	}
}

// runHeld is run's twin under another name, so that parked does not take
// the goroutine of a held call for the sender's.
func (s *fzSender) runHeld() {
	defer close(s.done)
	s.it.reply, s.it.err = s.d.To(fzTinyKey).Do(s.ctx, s.it.job)
}

// parked reports whether the sender's goroutine is blocked, which in front of
// a full mailbox it can only be in the wait for room. The goroutine dump is
// the one place that shows this, whatever the runtime waits on, so the test
// can act exactly while the sender waits, without sleeping and hoping.
func (s *fzSender) parked() bool {
	buf := make([]byte, 64<<10)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "(*fzSender).run(") {
			continue
		}
		state, _, _ := strings.Cut(g, "\n")
		for _, blocked := range []string{"[select", "[chan receive", "[chan send", "[sync.Cond.Wait"} {
			if strings.Contains(state, blocked) {
				return true
			}
		}
		return false
	}
	return false
}

// fzRun is the model and the dispatcher of one fuzz run.
type fzRun struct {
	t            *testing.T
	d            *WorkerDispatcher
	tr           *fzTracker
	intercepting bool

	byKey map[string]*fzWorker
	// everRegistered holds every key registered in the run, whose last
	// counters Stats keeps once it is not registered any more.
	everRegistered map[string]bool
	workers        []*fzWorker
	closed         bool
	items          []*fzItem
	cancelable     []*fzItem
	holds          []*fzHold
	nextID         int
	tells          int
	timedWaits     int

	cancels []context.CancelFunc
	senders []chan struct{}
	trace   []string
}

func newFzRun(t *testing.T, config byte) *fzRun {
	tr := &fzTracker{
		gates:    map[int]chan struct{}{},
		started:  map[int]chan struct{}{},
		tells:    map[string]*fzTellRecord{},
		handled:  map[string][]string{},
		progress: make(chan struct{}, 1),
	}
	opts := []runtime.Option{runtime.WithDeadLetterHandler(tr.deadLetter)}
	if config&fzConfigUnbounded != 0 {
		opts = append(opts, runtime.WithUnbounded())
	}
	if config&fzConfigIntercept != 0 {
		opts = append(opts, runtime.WithInterceptors(tr.intercept))
	}
	if config&fzConfigDedicated != 0 {
		opts = append(opts, runtime.WithDedicatedGoroutine())
	}
	return &fzRun{
		t:              t,
		d:              NewWorkerDispatcher(opts...),
		tr:             tr,
		intercepting:   config&fzConfigIntercept != 0,
		byKey:          map[string]*fzWorker{},
		everRegistered: map[string]bool{},
	}
}

// logf records an operation for fatalf.
func (m *fzRun) logf(format string, args ...any) {
	m.trace = append(m.trace, fmt.Sprintf(format, args...))
}

// fatalf reports the operations so far with the failure, since a fuzz input
// is unreadable bytes.
func (m *fzRun) fatalf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\noperations:\n  %s", fmt.Sprintf(format, args...), strings.Join(m.trace, "\n  "))
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

// step runs one operation. Every pair of bytes means something, so that no
// input the fuzzer makes is wasted.
func (m *fzRun) step(op, arg byte) {
	m.t.Helper()
	key, v := fzKeyNames[int(arg)%fzKeys], int(arg)/fzKeys
	switch int(op) % fzNumOps {
	case fzOpRegister:
		m.register(key, v)
	case fzOpRegisterDup:
		if ws := m.registered(); len(ws) > 0 {
			key = ws[int(arg)%len(ws)].key
		}
		m.register(key, 0)
	case fzOpUnregister:
		m.unregister(key, v)
	case fzOpDo:
		m.call(key, v)
	case fzOpDoAsync:
		m.callAsync(key, v)
	case fzOpCancel:
		m.cancelOne(int(arg))
	case fzOpTell:
		m.tell(key, v)
	case fzOpClose:
		m.close(v)
	case fzOpCheck:
		m.check()
	case fzOpHold:
		m.hold(key)
	case fzOpRelease:
		var open []*fzHold
		for _, h := range m.holds {
			if !h.released {
				open = append(open, h)
			}
		}
		if len(open) == 0 {
			m.logf("release: no hold")
			return
		}
		m.release(open[int(arg)%len(open)])
	case fzOpOverflow:
		m.overflow(v)
	}
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

// newWorker makes a worker whose hooks act on the kind of job and report to
// the tracker, for the model to check against.
func (m *fzRun) newWorker(key string) *fzWorker {
	m.nextID++
	w := &fzWorker{key: key, name: fmt.Sprintf("%s#%d", key, m.nextID)}
	w.impl = newTestWorker(w.name)
	tr, d, name := m.tr, m.d, w.name
	w.impl.do = func(ctx context.Context, job Job) error {
		switch job.From {
		case fzJobFail:
			return errFzJobFailed
		case fzJobPanic:
			panic("boom")
		case fzJobSelf:
			// The canceled context keeps the call from ever waiting, should
			// it not be refused as it must be.
			c, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := d.To(key).Do(c, Job{From: "inner", Seq: job.Seq}); !errors.Is(err, runtime.ErrDeadlock) {
				return fmt.Errorf("a call to itself returned %v, want ErrDeadlock", err)
			}
		case fzJobHold:
			select {
			case <-tr.enter(job.Seq):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	w.impl.tell = func(_ context.Context, note string) {
		if strings.HasPrefix(note, fzJobPanic) {
			panic("boom")
		}
		tr.tellRan(name, note)
	}
	return w
}

// register is Register of a fresh worker, or of nil for variant 7 of 8;
// named key#n, each worker is told apart from one registered before under
// the same key.
func (m *fzRun) register(key string, v int) {
	m.t.Helper()
	if v%8 == 7 {
		m.logf("Register(%s, nil)", key)
		want := []error{runtime.ErrNilRecipient}
		if m.closed {
			want = append(want, runtime.ErrClosed)
		}
		if m.byKey[key] != nil {
			want = append(want, runtime.ErrDuplicateKey)
		}
		m.wantErr("Register(nil)", m.d.Register(key, nil), want...)
		return
	}
	w := m.newWorker(key)
	m.logf("Register(%s) as %s", key, w.name)
	err := m.d.Register(key, w.impl)
	switch {
	case m.closed:
		m.wantErr("Register after Close", err, runtime.ErrClosed)
	case m.byKey[key] != nil:
		m.wantErr("Register of a registered key", err, runtime.ErrDuplicateKey)
	default:
		m.wantErr("Register", err, nil)
		m.byKey[key] = w
		m.everRegistered[key] = true
		m.workers = append(m.workers, w)
	}
}

// stopContext gives Unregister and Close, for variant 1 and 2, a context
// that has ended or ends soon, so that the model sees them give up on a
// blocked recipient; variant 0 is Background, which never gives up.
func (m *fzRun) stopContext(v int) (context.Context, context.CancelFunc, string) {
	switch v % 3 {
	case 1:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel, "canceled"
	case 2:
		if m.timedWaits < fzMaxTimedWaits {
			m.timedWaits++
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			return ctx, cancel, "1ms deadline"
		}
		ctx, cancel := context.WithDeadline(context.Background(), time.Now())
		return ctx, cancel, "expired deadline"
	}
	return context.Background(), func() {}, "Background"
}

// unregister is Unregister with the context stopContext gives variant v.
func (m *fzRun) unregister(key string, v int) {
	m.t.Helper()
	w := m.byKey[key]
	if v%3 == 0 && w != nil && w.hold != nil {
		// Without a deadline, Unregister would wait for the gate forever.
		m.release(w.hold)
	}
	ctx, cancel, ctxName := m.stopContext(v)
	defer cancel()
	m.logf("Unregister(%s, %s)", key, ctxName)
	err := m.d.Unregister(ctx, key)
	switch {
	case m.closed:
		m.wantErr("Unregister after Close", err, runtime.ErrNoRecipient, runtime.ErrClosed)
	case w == nil:
		m.wantErr("Unregister of an unregistered key", err, runtime.ErrNoRecipient)
	default:
		delete(m.byKey, key)
		m.stopped("Unregister("+key+")", ctx, err, v%3 != 0, w)
	}
}

// stopped applies to the model what an Unregister or Close that returned err
// says about the workers it stopped: nil means each has drained, an error
// means what was queued may have failed with ErrClosed.
func (m *fzRun) stopped(what string, ctx context.Context, err error, mayGiveUp bool, ws ...*fzWorker) {
	m.t.Helper()
	if err == nil {
		for _, w := range ws {
			if w.hold != nil {
				m.fatalf("%s returned nil while %s was blocked in a method", what, w.name)
			}
		}
		for _, w := range ws {
			m.settle(what, w)
		}
		return
	}
	if !mayGiveUp {
		m.fatalf("%s = %v, want nil", what, err)
	}
	if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		m.fatalf("%s = %v, want nil or an error wrapping its context's", what, err)
	}
	for _, w := range ws {
		m.abort(w)
	}
}

// settle checks that a worker reported drained has ended everything it
// accepted, and marks its outcomes final.
func (m *fzRun) settle(what string, w *fzWorker) {
	m.t.Helper()
	w.drained = true
	for _, it := range w.items {
		switch {
		case it.done != nil:
			// The caller's goroutine returns a moment after the recipient
			// has drained; finish waits for it.
		case it.kind == fzKindAsync && !it.ctxDone && !it.fut.Resolved():
			m.fatalf("%s returned nil before %s, which %s had accepted, was resolved", what, it, w.name)
		case it.kind == fzKindTell && m.tr.tell(it.note) == nil:
			m.fatalf("%s returned nil before %s, which %s had accepted, was handled or dead-lettered", what, it, w.name)
		}
	}
}

// abort widens what the messages of a worker whose Unregister or Close gave
// up may end with: those still queued fail with ErrClosed. The runtime has
// failed them already, so there is no looking first.
func (m *fzRun) abort(w *fzWorker) {
	for _, it := range w.items {
		if it.kind == fzKindCall || it.aborted {
			continue
		}
		it.aborted = true
		if it.behindHold {
			// Certainly queued: it fails with ErrClosed, unless its context
			// ended first and the runtime noticed before the abort did.
			it.allow = fzClosed
			if it.ctxDone {
				it.allow |= fzCanceled
			}
		} else {
			it.allow |= fzClosed
		}
	}
}

// newItem numbers a message so that its Job and note are unique.
func (m *fzRun) newItem(kind fzKind, key, job string) *fzItem {
	m.nextID++
	it := &fzItem{id: m.nextID, kind: kind, key: key, job: Job{From: job, Seq: m.nextID}}
	it.note = fmt.Sprintf("%s#%d", job, it.id)
	if kind == fzKindTell {
		m.tells++
	}
	return it
}

// deliver records what the model expects of it, sent now to the worker w
// registered under its key (nil if none).
func (m *fzRun) deliver(it *fzItem, w *fzWorker) {
	switch {
	case m.closed:
		it.allow = fzClosed
	case w == nil:
		it.allow = fzNoRecipient
	case it.kind == fzKindTell && it.ctxDone:
		// A one-way message sent with a context that has ended is not
		// accepted.
		it.allow = fzCanceled
	default:
		it.w = w
		it.allow = fzRan
		if it.ctxDone {
			it.allow = fzCanceled
		}
		it.behindHold = w.hold != nil
		if it.behindHold {
			w.behind++
		}
		w.accepted++
		w.items = append(w.items, it)
	}
	m.items = append(m.items, it)
}

// fzCanceledContext is a context that has ended before the call is made,
// which makes the call's failure certain.
func fzCanceledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// call is a synchronous Do: variant 0 a normal job, 1 with a canceled
// context, 2 a failing job, 3 a panicking one, 4 one that calls its own
// recipient, 5 a normal job with a live cancelable context.
func (m *fzRun) call(key string, v int) {
	m.t.Helper()
	v %= 6
	w := m.byKey[key]
	if w != nil && w.hold != nil && v != 1 {
		// The test goroutine would wait for the gate forever.
		m.release(w.hold)
	}
	it := m.newItem(fzKindCall, key, [...]string{fzJobNormal, fzJobNormal, fzJobFail, fzJobPanic, fzJobSelf, fzJobNormal}[v])
	ctx := context.Background()
	switch v {
	case 1:
		ctx, it.ctxDone = fzCanceledContext(), true
	case 5:
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		ctx = c
	}
	m.deliver(it, w)
	m.logf("%s, context %d", it, v)
	it.reply, it.err = m.d.To(key).Do(ctx, it.job)
	m.observe(it)
}

// callAsync is a DoAsync: variant%3 picks the context (Background,
// cancelable by a later fzOpCancel, canceled) and variant/3 the job (normal,
// failing, panicking).
func (m *fzRun) callAsync(key string, v int) {
	m.t.Helper()
	it := m.newItem(fzKindAsync, key, [...]string{fzJobNormal, fzJobFail, fzJobPanic}[(v/3)%3])
	ctx := context.Background()
	switch v % 3 {
	case 1:
		c, cancel := context.WithCancel(ctx)
		ctx, it.cancel = c, cancel
		m.cancels = append(m.cancels, cancel)
	case 2:
		ctx, it.ctxDone = fzCanceledContext(), true
	}
	m.deliver(it, m.byKey[key])
	m.logf("%s, context %d", it, v%3)
	it.fut = m.d.To(key).DoAsync(ctx, it.job)
	switch {
	case it.w == nil:
		if !m.poll(it) {
			m.fatalf("%s, which could not be delivered, returned an unresolved Future", it)
		}
	case it.cancel != nil:
		m.cancelable = append(m.cancelable, it)
	}
}

// cancelOne cancels the context of the i-th (modulo) asynchronous call still
// cancelable, which the model allows to fail with context.Canceled from then
// on, and requires to if the call is certainly still queued.
func (m *fzRun) cancelOne(i int) {
	m.t.Helper()
	if len(m.cancelable) == 0 {
		m.logf("cancel: nothing to cancel")
		return
	}
	i %= len(m.cancelable)
	it := m.cancelable[i]
	m.cancelable = slices.Delete(m.cancelable, i, i+1)
	m.logf("cancel the context of %s", it)
	// Look before canceling: afterwards the runtime may resolve it at once.
	if !m.poll(it) {
		if it.behindHold && !it.aborted {
			it.allow = fzCanceled
		} else {
			it.allow |= fzCanceled
		}
	}
	it.cancel()
	it.ctxDone = true
}

// tell is a one-way Tell: variant 0 normal, 1 with a canceled context, 2
// one whose method panics.
func (m *fzRun) tell(key string, v int) {
	m.t.Helper()
	v %= 3
	it := m.newItem(fzKindTell, key, [...]string{fzJobNormal, fzJobNormal, fzJobPanic}[v])
	ctx := context.Background()
	if v == 1 {
		ctx, it.ctxDone = fzCanceledContext(), true
	}
	m.deliver(it, m.byKey[key])
	m.logf("%s, context %d", it, v)
	m.d.To(key).Tell(ctx, it.note)
	if it.w == nil && !m.poll(it) {
		m.fatalf("%s, which could not be delivered, had not reached the dead-letter handler when Tell returned", it)
	}
}

// close is Close: variant 0 opens every gate of a registered recipient and
// waits for the drain, 1 has a canceled context and 2 a deadline.
func (m *fzRun) close(v int) {
	m.t.Helper()
	v %= 3
	var (
		ctx     context.Context
		cancel  context.CancelFunc
		ctxName string
	)
	if v == 0 {
		// A Close that may not give up must not meet a closed gate.
		for _, w := range m.registered() {
			if w.hold != nil {
				m.release(w.hold)
			}
		}
		ctx, cancel = context.WithTimeout(context.Background(), fzDrainWait)
		ctxName = "drain"
	} else {
		ctx, cancel, ctxName = m.stopContext(v)
	}
	defer cancel()
	m.logf("Close(%s)", ctxName)
	err := m.d.Close(ctx)
	if m.closed {
		m.wantErr("Close of a closed dispatcher", err, nil)
		return
	}
	ws := m.registered()
	m.closed = true
	clear(m.byKey)
	m.stopped("Close", ctx, err, v != 0, ws...)
}

// check compares Keys and Stats with the model.
func (m *fzRun) check() {
	m.t.Helper()
	m.logf("check Keys and Stats")
	ws := m.registered()
	want := make([]string, len(ws))
	for i, w := range ws {
		want[i] = w.key
	}
	keys := m.d.Keys()
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		m.fatalf("Keys() = %v, want %v", keys, want)
	}
	stats := m.d.Stats()
	// Stats also keeps the last counters of keys no longer registered.
	for k, s := range stats {
		if m.byKey[k] == nil && (!m.everRegistered[k] || s.Rejected != 0 || s.Queued > s.HighWater) {
			m.fatalf("Stats()[%s] = %+v, of a key that is not registered and was not before", k, s)
		}
	}
	for _, w := range ws {
		s, ok := stats[w.key]
		if !ok {
			m.fatalf("Stats() lacks %s: %+v", w.key, stats)
		}
		// Every message accepted is in exactly one of these, one being
		// handled now counting as queued; but the counters are read one by
		// one, so one that ends meanwhile may count as queued and ended.
		if total := s.Queued + int(s.Handled+s.Failed+s.Panics); total < w.accepted || total > w.accepted+s.Queued {
			m.fatalf("Stats()[%s] = %+v accounts for %d messages, %s accepted %d", w.key, s, total, w.name, w.accepted)
		}
		if s.Rejected != 0 || s.Queued > s.HighWater || s.HighWater > w.accepted {
			m.fatalf("Stats()[%s] = %+v is inconsistent with %d messages accepted", w.key, s, w.accepted)
		}
		if w.hold != nil && s.Queued < 1+w.behind {
			m.fatalf("Stats()[%s].Queued = %d while a held call and %d messages behind it wait", w.key, s.Queued, w.behind)
		}
	}
}

// hold sends a call that blocks the recipient under key until released.
func (m *fzRun) hold(key string) *fzHold {
	m.t.Helper()
	w := m.byKey[key]
	if w == nil || w.hold != nil {
		m.logf("hold %s: skipped", key)
		return nil
	}
	it := m.newItem(fzKindAsync, key, fzJobHold)
	h := &fzHold{id: it.id, w: w, gate: make(chan struct{})}
	m.tr.setGate(it.id, h.gate, make(chan struct{}))
	m.deliver(it, w)
	m.logf("hold %s: %s", w.name, it)
	it.fut = m.d.To(key).DoAsync(context.Background(), it.job)
	w.hold, w.behind = h, 0
	m.holds = append(m.holds, h)
	return h
}

// holdInline blocks the idle recipient under key with a synchronous call
// made with Background, which runs on its caller's goroutine (here one of
// the test's own), and waits until the call runs: a recipient serving its
// caller's call fills its mailbox as one serving its own does.
func (m *fzRun) holdInline(key string) *fzHold {
	m.t.Helper()
	w := m.byKey[key]
	it := m.newItem(fzKindCall, key, fzJobHold)
	h := &fzHold{id: it.id, w: w, gate: make(chan struct{})}
	started := make(chan struct{})
	m.tr.setGate(it.id, h.gate, started)
	m.deliver(it, w)
	m.logf("hold %s from a goroutine: %s", w.name, it)
	it.done = make(chan struct{})
	m.senders = append(m.senders, it.done)
	go (&fzSender{d: m.d, ctx: context.Background(), it: it, done: it.done}).runHeld()
	w.hold, w.behind = h, 0
	m.holds = append(m.holds, h)
	select {
	case <-started:
	case <-it.done:
		m.poll(it)
		m.fatalf("%s returned (%s) before its gate opened", it, it.detail)
	case <-time.After(fzRoomWait):
		m.fatalf("%s, made to an idle recipient, did not start within %v", it, fzRoomWait)
	}
	return h
}

// release opens the gate of h: from then on what waited behind it may run,
// so the model stops counting on it being queued.
func (m *fzRun) release(h *fzHold) {
	if h.released {
		return
	}
	m.logf("release the hold #%d on %s", h.id, h.w.name)
	h.released = true
	close(h.gate)
	if h.w.hold == h {
		h.w.hold, h.w.behind = nil, 0
		for _, it := range h.w.items {
			it.behindHold = false
		}
	}
}

// overflow registers a recipient with a mailbox of one place under
// fzTinyKey, fills it with a held call (a DoAsync or, with variant/8 odd, a
// Do run on its caller's goroutine), and has a sender (a Do or, with
// variant/4 odd, a Tell) wait for room from a goroutine of its own. Then
// variant%4 ends the wait: 0 by releasing the held call, 1 by canceling the
// sender's context, 2 by an Unregister and 3 by a Close that give up at once.
func (m *fzRun) overflow(v int) {
	m.t.Helper()
	ending, isTell, inline := v%4, (v/4)%2 == 1, (v/8)%2 == 1
	w := m.newWorker(fzTinyKey)
	m.logf("Register(%s, WithMailboxSize(1)) as %s", fzTinyKey, w.name)
	err := m.d.Register(fzTinyKey, w.impl, runtime.WithMailboxSize(1))
	if m.closed {
		m.wantErr("Register after Close", err, runtime.ErrClosed)
		return
	}
	m.wantErr("Register", err, nil)
	m.byKey[fzTinyKey] = w
	m.everRegistered[fzTinyKey] = true
	m.workers = append(m.workers, w)
	var h *fzHold
	if inline {
		h = m.holdInline(fzTinyKey)
	} else {
		h = m.hold(fzTinyKey)
	}

	kind := fzKindCall
	if isTell {
		kind = fzKindTell
	}
	it := m.newItem(kind, fzTinyKey, fzJobNormal)
	if ending == 0 {
		m.deliver(it, w)
	} else {
		it.allow = [...]fzOutcome{1: fzCanceled, 2: fzClosed, 3: fzClosed}[ending]
		m.items = append(m.items, it)
	}
	ctx, cancel := context.WithTimeout(context.Background(), fzRoomWait)
	m.cancels = append(m.cancels, cancel)
	s := &fzSender{d: m.d, ctx: ctx, it: it, done: make(chan struct{})}
	m.senders = append(m.senders, s.done)
	go s.run()
	// Should the runtime ever wait in a way parked does not know, the test
	// goes on after fzRoomWait: the outcomes stay right, only less certainly
	// reached while the sender waits.
	for start := time.Now(); !s.parked() && time.Since(start) < fzRoomWait; goruntime.Gosched() {
		select {
		case <-s.done:
			m.poll(it)
			m.fatalf("%s to the full mailbox of %s returned (%s) without waiting for room", it, w.name, it.detail)
		default:
		}
	}
	m.logf("%s waits for room in the full mailbox of %s; ending %d", it, w.name, ending)
	switch ending {
	case 0:
		m.release(h)
	case 1:
		cancel()
	case 2:
		m.unregister(fzTinyKey, 1)
	case 3:
		m.close(1)
	}
	<-s.done
	switch {
	case !isTell:
		m.observe(it)
	case ending != 0 && !m.poll(it):
		m.fatalf("%s, refused, had not reached the dead-letter handler when Tell returned", it)
	case ending == 0 && m.tr.tell(it.note) != nil:
		m.poll(it)
	}
	if m.byKey[fzTinyKey] == w {
		m.unregister(fzTinyKey, 0)
	}
}

// poll observes the outcome of it if it has one yet, and reports whether it
// has.
func (m *fzRun) poll(it *fzItem) bool {
	m.t.Helper()
	switch {
	case it.got != 0:
		return true
	case it.done != nil:
		select {
		case <-it.done:
		default:
			return false
		}
	case it.kind == fzKindAsync && it.fut.Resolved():
		it.reply, it.err = it.fut.Await(context.Background())
	case it.kind == fzKindTell && m.tr.tell(it.note) != nil:
	default:
		return false
	}
	m.observe(it)
	return true
}

// observe classifies the outcome of it and fails at once if the model does
// not allow it, which is where the trace is most telling.
func (m *fzRun) observe(it *fzItem) {
	m.t.Helper()
	if it.kind == fzKindTell {
		it.got, it.detail = m.classifyTell(it)
	} else {
		it.got, it.detail = classifyCall(it)
	}
	if it.got&it.allow == 0 {
		m.fatalf("%s ended with %s, want %s", it, it.detail, it.allow)
	}
}

// classifyCall names how a Do or DoAsync ended, or returns 0 if no outcome
// of the model fits.
func classifyCall(it *fzItem) (fzOutcome, string) {
	err := it.err
	var pe *runtime.PanicError
	switch {
	case err == nil:
		detail := fmt.Sprintf("reply %+v", it.reply)
		if it.job.From != fzJobNormal && it.job.From != fzJobSelf && it.job.From != fzJobHold {
			return 0, detail
		}
		if it.w == nil || it.reply.By != it.w.name || it.reply.Job != it.job {
			return 0, detail + ", which is not the sent job's from the recipient under its key"
		}
		return fzRan, detail
	case errors.As(err, &pe):
		if it.job.From == fzJobPanic && pe.Recipient == "Worker" && pe.Key == any(it.key) &&
			pe.Method == "Do" && pe.Value == any("boom") {
			return fzRan, "the method's panic"
		}
	case errors.Is(err, errFzJobFailed):
		if it.job.From == fzJobFail {
			return fzRan, "the method's error"
		}
	case errors.Is(err, context.Canceled):
		return fzCanceled, err.Error()
	case errors.Is(err, runtime.ErrClosed):
		return fzClosed, err.Error()
	case errors.Is(err, runtime.ErrNoRecipient):
		return fzNoRecipient, err.Error()
	}
	return 0, fmt.Sprintf("error %v", err)
}

// classifyTell names how a Tell ended, from what the worker's hook and the
// dead-letter handler recorded, or returns 0 if no outcome of the model fits.
func (m *fzRun) classifyTell(it *fzItem) (fzOutcome, string) {
	rec := m.tr.tell(it.note)
	switch {
	case rec == nil:
		return 0, "neither handled nor dead-lettered"
	case rec.n != 1:
		return 0, fmt.Sprintf("%d outcomes", rec.n)
	case rec.by != "":
		detail := "handled by " + rec.by
		if it.job.From == fzJobNormal && it.w != nil && rec.by == it.w.name {
			return fzRan, detail
		}
		return 0, detail
	case rec.key != any(it.key):
		return 0, fmt.Sprintf("a dead letter under key %v: %v", rec.key, rec.err)
	}
	var pe *runtime.PanicError
	switch err := rec.err; {
	case errors.As(err, &pe):
		if it.job.From == fzJobPanic && pe.Recipient == "Worker" && pe.Key == any(it.key) &&
			pe.Method == "Tell" && pe.Value == any("boom") {
			return fzRan, "a dead letter for the method's panic"
		}
	case errors.Is(err, context.Canceled):
		return fzCanceled, "a dead letter: " + err.Error()
	case errors.Is(err, runtime.ErrClosed):
		return fzClosed, "a dead letter: " + err.Error()
	case errors.Is(err, runtime.ErrNoRecipient):
		return fzNoRecipient, "a dead letter: " + err.Error()
	}
	return 0, fmt.Sprintf("a dead letter: %v", rec.err)
}

// finish closes the dispatcher and checks that everything sent has ended
// exactly once, as the model allows, and in the order it was sent.
func (m *fzRun) finish() {
	m.t.Helper()
	for _, h := range m.holds {
		m.release(h)
	}
	if !m.closed {
		m.check()
	}
	ctx, cancel := context.WithTimeout(context.Background(), fzDrainWait)
	defer cancel()
	m.logf("final Close")
	err := m.d.Close(ctx)
	if m.closed {
		m.wantErr("Close of a closed dispatcher", err, nil)
	} else {
		ws := m.registered()
		m.closed = true
		clear(m.byKey)
		m.stopped("the final Close", ctx, err, false, ws...)
	}

	// Every Future is resolved, to one result that Await keeps returning.
	for _, it := range m.items {
		if it.kind != fzKindAsync {
			continue
		}
		v, err := it.fut.Await(ctx)
		if ctx.Err() != nil {
			m.fatalf("%s: Future not resolved %v after the final Close began", it, fzDrainWait)
		}
		select {
		case <-it.fut.Done():
		default:
			m.fatalf("%s: Await returned but Done is not closed", it)
		}
		if !it.fut.Resolved() {
			m.fatalf("%s: Await returned but Resolved() is false", it)
		}
		if it.got == 0 {
			it.reply, it.err = v, err
			m.observe(it)
		} else if v != it.reply || err != it.err {
			m.fatalf("%s: Await returned %+v, %v after %+v, %v", it, v, err, it.reply, it.err)
		}
	}

	// Every Do made from a goroutine of the test's returns.
	for _, it := range m.items {
		if it.done == nil {
			continue
		}
		select {
		case <-it.done:
		case <-ctx.Done():
			m.fatalf("%s did not return %v after the final Close began", it, fzDrainWait)
		}
	}

	// Every one-way message is handled or dead-lettered, once.
	for {
		m.tr.mu.Lock()
		ran, dead := m.tr.ran, m.tr.dead
		m.tr.mu.Unlock()
		if ran+dead > m.tells {
			m.fatalf("%d Tells handled and %d dead-lettered, but only %d sent", ran, dead, m.tells)
		}
		if ran+dead == m.tells {
			break
		}
		select {
		case <-m.tr.progress:
		case <-ctx.Done():
			m.fatalf("%d Tells handled and %d dead-lettered, of %d sent, %v after the final Close began", ran, dead, m.tells, fzDrainWait)
		}
	}
	ranItems := 0
	for _, it := range m.items {
		if !m.poll(it) {
			m.fatalf("%s never ended", it)
		}
		if it.got == fzRan {
			ranItems++
		}
	}
	for _, w := range m.workers {
		m.checkOrder(w)
	}
	m.tr.mu.Lock()
	problems, intercepted := m.tr.problems, m.tr.intercepted
	m.tr.mu.Unlock()
	if len(problems) > 0 {
		m.fatalf("seen on the recipients' goroutines:\n%s", strings.Join(problems, "\n"))
	}
	if m.intercepting && intercepted != ranItems {
		m.fatalf("the interceptor saw %d messages, but %d ran", intercepted, ranItems)
	}
}

// checkOrder checks guarantee 2 on one worker: the messages that ran did so
// in the order they were sent, one at a time, which Reply.Seen and the order
// of the notes its Tell saw both show.
func (m *fzRun) checkOrder(w *fzWorker) {
	m.t.Helper()
	seen := 0
	var notes []string
	for _, it := range w.items {
		if it.got != fzRan {
			continue
		}
		switch {
		case it.kind == fzKindTell:
			if it.job.From == fzJobNormal {
				notes = append(notes, it.note)
				seen++
			}
		case it.job.From == fzJobNormal || it.job.From == fzJobSelf || it.job.From == fzJobHold:
			if it.reply.Seen != seen {
				m.fatalf("%s: %s had handled %d messages before it, but %d of those sent before it ran", it, w.name, it.reply.Seen, seen)
			}
			seen++
		}
	}
	m.tr.mu.Lock()
	handled := slices.Clone(m.tr.handled[w.name])
	m.tr.mu.Unlock()
	if !slices.Equal(handled, notes) {
		m.fatalf("%s ran Tells %v, want %v", w.name, handled, notes)
	}
	// Only a drained worker is known to be done with its fields.
	if w.drained && (w.impl.seen != seen || !slices.Equal(w.impl.notes, notes)) {
		m.fatalf("%s counted %d messages and notes %v, want %d and %v", w.name, w.impl.seen, w.impl.notes, seen, notes)
	}
}

// teardown leaves nothing running, whether the run passed or failed half
// way: goleak checks after the tests.
func (m *fzRun) teardown() {
	for _, h := range m.holds {
		if !h.released {
			h.released = true
			close(h.gate)
		}
	}
	for _, cancel := range m.cancels {
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), fzDrainWait)
	defer cancel()
	_ = m.d.Close(ctx)
	for _, done := range m.senders {
		<-done
	}
}
