package runtime_test

// The overlap stress test of issue 8: under every combination of options,
// many goroutines drive a few recipients with every kind of message while
// recipients are unregistered, registered again and finally closed. Every
// recipient counts the methods running in it and fails on two; every
// message must end exactly once, and nothing of a recipient may run once a
// stop that drained it has returned.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// overlapConfig is one combination of options for TestOverlapStress.
type overlapConfig struct {
	dedicated, stopOnPanic, failFast, intercept bool
	mailbox                                     string // "default", "small" or "unbounded"
	closeAtDeadline                             bool   // Close with a context that ends almost at once
}

func (c overlapConfig) String() string {
	return fmt.Sprintf("dedicated=%v,stopOnPanic=%v,failFast=%v,mailbox=%s,intercept=%v,closeAtDeadline=%v",
		c.dedicated, c.stopOnPanic, c.failFast, c.mailbox, c.intercept, c.closeAtDeadline)
}

func (c overlapConfig) options() (opts []runtime.Option) {
	if c.dedicated {
		opts = append(opts, runtime.WithDedicatedGoroutine())
	}
	if c.stopOnPanic {
		opts = append(opts, runtime.WithStopOnPanic())
	}
	if c.failFast {
		opts = append(opts, runtime.WithFailFast())
	}
	switch c.mailbox {
	case "small":
		opts = append(opts, runtime.WithMailboxSize(2))
	case "unbounded":
		opts = append(opts, runtime.WithUnbounded())
	}
	if c.intercept {
		opts = append(opts, runtime.WithInterceptors(func(ctx context.Context, _ runtime.CallInfo, next func(context.Context) error) error {
			return next(ctx)
		}))
	}
	return opts
}

// overlapConfigs returns every combination of the options, each closed one
// of the two ways.
func overlapConfigs() []overlapConfig {
	var all []overlapConfig
	for bits := range 16 {
		for _, mailbox := range []string{"default", "small", "unbounded"} {
			all = append(all, overlapConfig{
				dedicated:       bits&1 != 0,
				stopOnPanic:     bits&2 != 0,
				failFast:        bits&4 != 0,
				intercept:       bits&8 != 0,
				mailbox:         mailbox,
				closeAtDeadline: len(all)%2 == 1,
			})
		}
	}
	return all
}

// TestOverlapStress drives every combination of options for a while each:
// 15 ms under -short, 100 ms otherwise.
func TestOverlapStress(t *testing.T) {
	each := 100 * time.Millisecond
	if testing.Short() {
		each = 15 * time.Millisecond
	}
	for _, c := range overlapConfigs() {
		t.Run(c.String(), func(t *testing.T) {
			s := newOverlapRun(t, c)
			s.run(each)
		})
	}
}

// The kinds of message the stress test sends, as the first letter of a
// Tell's note or of a Job's From.
const (
	kindNormal = "n"
	kindPanic  = "p"
	kindGoexit = "g" // never sent synchronously: it would end the sender
	kindSlow   = "s" // sleeps a little, ignoring its context
)

// stressInstance is one registration of a key: its recipient, and whether a
// stop that removed it returned nil, which promises that nothing of it runs
// any more. (After a stop that returned at its deadline, a message the
// recipient had committed to before the deadline may still start.)
type stressInstance struct {
	name    string
	guard   overlap
	drained atomic.Bool
	run     *overlapRun
}

// enter checks the promise as a method starts, and returns the check to run
// as it ends.
func (in *stressInstance) enter(method string) func() {
	if in.drained.Load() {
		in.run.problem("%s.%s started after a stop that drained it returned", in.name, method)
	}
	leave := in.guard.enter()
	return func() {
		if in.drained.Load() {
			in.run.problem("%s.%s still running when a stop that drained it returned", in.name, method)
		}
		leave()
	}
}

// stressWorker is the recipient of the stress test. Its counter is plain on
// purpose, for the race detector; enter counts overlaps without it.
type stressWorker struct {
	in   *stressInstance
	seen int
}

func (w *stressWorker) Do(_ context.Context, job Job) (Reply, error) {
	defer w.in.enter("Do")()
	w.seen++
	w.act(job.From)
	return Reply{By: w.in.name, Job: job, Seen: w.seen}, nil
}

func (w *stressWorker) Pair(_ context.Context, a, b int) (int, string, error) {
	defer w.in.enter("Pair")()
	w.seen++
	return a + b, w.in.name, nil
}

func (w *stressWorker) Ping(context.Context) error {
	defer w.in.enter("Ping")()
	w.seen++
	return nil
}

func (w *stressWorker) Tell(_ context.Context, note string) {
	defer w.in.enter("Tell")()
	w.seen++
	w.act(note)
	w.in.run.outcome(note, "ran")
}

// act does what a message's kind asks.
func (w *stressWorker) act(kind string) {
	switch kind[:1] {
	case kindPanic:
		panic("stress: told to panic")
	case kindGoexit:
		goruntime.Goexit()
	case kindSlow:
		time.Sleep(100 * time.Microsecond)
	}
}

// overlapRun is one run of the stress test.
type overlapRun struct {
	t    *testing.T
	cfg  overlapConfig
	d    *WorkerDispatcher
	keys []string

	mu        sync.Mutex
	current   map[string]*stressInstance
	instances []*stressInstance
	problems  map[string]*stressProblem
	sentNotes map[string]bool     // the notes of the Tells sent
	outcomes  map[string][]string // per Tell note, how it ended
	gen       int

	nextNote    atomic.Int64 // numbers the Tells' notes
	sent        atomic.Int64 // messages of every kind
	unregisters atomic.Int64
}

func newOverlapRun(t *testing.T, cfg overlapConfig) *overlapRun {
	s := &overlapRun{
		t:         t,
		cfg:       cfg,
		keys:      []string{"k0", "k1", "k2"},
		current:   map[string]*stressInstance{},
		problems:  map[string]*stressProblem{},
		sentNotes: map[string]bool{},
		outcomes:  map[string][]string{},
	}
	s.d = NewWorkerDispatcher(append(cfg.options(), runtime.WithDeadLetterHandler(s.deadLetter))...)
	for _, k := range s.keys {
		s.register(k)
	}
	return s
}

// problem records a broken guarantee, from any goroutine: how often each
// kind of problem (its format) came, and its first instance.
func (s *overlapRun) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.problems[format]
	if p == nil {
		p = &stressProblem{first: fmt.Sprintf(format, args...)}
		s.problems[format] = p
	}
	p.n++
}

// stressProblem is one kind of problem the stress test found.
type stressProblem struct {
	n     int
	first string
}

// outcome records how the one-way message with note ended.
func (s *overlapRun) outcome(note, how string) {
	s.mu.Lock()
	s.outcomes[note] = append(s.outcomes[note], how)
	s.mu.Unlock()
}

func (s *overlapRun) deadLetter(l runtime.DeadLetter) {
	tell, ok := l.Message.(workerTell)
	if !ok {
		s.problem("dead letter of %T: %+v", l.Message, l)
		return
	}
	var pe *runtime.PanicError
	switch {
	case errors.As(l.Err, &pe):
		if k := tell.note[:1]; k != kindPanic && k != kindGoexit {
			s.problem("one-way message %s dead-lettered with a panic: %v", tell.note, l.Err)
		}
	case errors.Is(l.Err, runtime.ErrClosed), errors.Is(l.Err, runtime.ErrNoRecipient):
	case errors.Is(l.Err, runtime.ErrMailboxFull) && s.cfg.failFast:
	default:
		s.problem("one-way message %s dead-lettered with %v", tell.note, l.Err)
	}
	s.outcome(tell.note, "dead letter: "+l.Err.Error())
}

// register gives key a new recipient, unless it has one.
func (s *overlapRun) register(key string) {
	s.mu.Lock()
	s.gen++
	in := &stressInstance{name: fmt.Sprintf("%s#%d", key, s.gen), run: s}
	s.mu.Unlock()
	switch err := s.d.Register(key, &stressWorker{in: in}); {
	case err == nil:
		s.mu.Lock()
		s.current[key] = in
		s.instances = append(s.instances, in)
		s.mu.Unlock()
	case errors.Is(err, runtime.ErrDuplicateKey), errors.Is(err, runtime.ErrClosed):
	default:
		s.problem("Register(%s): %v", key, err)
	}
}

// stopped records what a stop's error promises about in.
func stopped(in *stressInstance, err error) {
	if err == nil {
		in.drained.Store(true)
	}
}

// run drives the dispatcher for a while, closes it while the drivers still
// send, and checks what every message came to.
func (s *overlapRun) run(each time.Duration) {
	t := s.t
	stop, stopChurn := make(chan struct{}), make(chan struct{})
	var wg, churning sync.WaitGroup
	for i := range 6 {
		wg.Go(func() { s.drive(uint64(i), stop) })
	}
	churning.Go(func() { s.churn(stopChurn) })
	time.Sleep(each)
	// Close while the drivers send, but not while the churn registers: what
	// Close stops must be what the test thinks is registered.
	close(stopChurn)
	await(t, "the churn", churning.Wait)

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	if s.cfg.closeAtDeadline {
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), 200*time.Microsecond)
	}
	err := s.d.Close(ctx)
	cancel()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v", err)
	}
	if !s.cfg.closeAtDeadline && err != nil {
		t.Errorf("Close with time to drain: %v", err)
	}
	s.mu.Lock()
	for _, in := range s.current {
		stopped(in, err)
	}
	s.mu.Unlock()
	close(stop)
	await(t, "the drivers", wg.Wait)

	// A message that ended late ends once its method returns, soon.
	deadline := time.Now().Add(patience)
	for {
		missing := s.missingOutcomes()
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d one-way messages neither ran nor were dead-lettered, such as %q", len(missing), missing[:min(5, len(missing))])
			break
		}
		time.Sleep(time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for note, how := range s.outcomes {
		if len(how) != 1 {
			t.Errorf("one-way message %s ended %d times: %q", note, len(how), how)
		}
	}
	var overlaps int64
	for _, in := range s.instances {
		overlaps += in.guard.overlaps.Load()
	}
	if overlaps != 0 {
		t.Errorf("methods of one recipient overlapped %d times", overlaps)
	}
	for _, p := range s.problems {
		t.Errorf("%d times: %s", p.n, p.first)
	}
	if s.sent.Load() == 0 || s.unregisters.Load() == 0 {
		t.Errorf("sent %d messages and unregistered %d times: the test tested nothing", s.sent.Load(), s.unregisters.Load())
	}
}

// missingOutcomes returns the notes of the one-way messages sent that have
// not ended yet.
func (s *overlapRun) missingOutcomes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for note := range s.sentNotes {
		if len(s.outcomes[note]) == 0 {
			missing = append(missing, note)
		}
	}
	return missing
}

// churn unregisters recipients, with time to drain or at a deadline, and
// registers new ones under their keys, at least once and until stop is
// closed.
func (s *overlapRun) churn(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(1, 2))
	for {
		key := s.keys[rng.IntN(len(s.keys))]
		s.mu.Lock()
		in := s.current[key]
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		if rng.IntN(2) == 0 {
			cancel()
			ctx, cancel = context.WithTimeout(context.Background(), 50*time.Microsecond)
		}
		err := s.d.Unregister(ctx, key)
		cancel()
		s.unregisters.Add(1)
		switch {
		case errors.Is(err, runtime.ErrNoRecipient), errors.Is(err, runtime.ErrClosed):
			// A panic stopped it (WithStopOnPanic), or Close did.
		case err == nil || errors.Is(err, context.DeadlineExceeded):
			if in != nil {
				stopped(in, err)
			}
		default:
			s.problem("Unregister(%s): %v", key, err)
		}
		s.register(key)
		// A recipient stopped by a panic is registered again too.
		for _, k := range s.keys {
			s.register(k)
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(rng.IntN(1000)) * time.Microsecond):
		}
	}
}

// drive sends messages of every kind, in every way, until stop is closed.
func (s *overlapRun) drive(seed uint64, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var pending []*runtime.Future[Reply]
	var pendingKeys []string
	for n := 0; ; n++ {
		select {
		case <-stop:
			s.awaitAll(pending, pendingKeys)
			return
		default:
		}
		key := s.keys[rng.IntN(len(s.keys))]
		ref := s.d.To(key)
		kind := []string{kindNormal, kindNormal, kindNormal, kindNormal, kindPanic, kindSlow, kindGoexit}[rng.IntN(7)]
		s.sent.Add(1)
		switch op := rng.IntN(6); {
		case op == 0 && kind != kindGoexit:
			// With context.Background(), run on this goroutine when idle.
			r, err := ref.Do(context.Background(), Job{From: kind, Seq: n})
			s.checkReply("Do", key, kind, r, err, false)
		case op == 1 && kind != kindGoexit:
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(200))*time.Microsecond)
			r, err := ref.Do(ctx, Job{From: kind, Seq: n})
			cancel()
			s.checkReply("Do with a deadline", key, kind, r, err, true)
		case op == 2:
			pending = append(pending, ref.DoAsync(context.Background(), Job{From: kind, Seq: n}))
			pendingKeys = append(pendingKeys, key+"/"+kind)
		case op == 3:
			ctx, cancel := context.WithCancel(context.Background())
			f := ref.DoAsync(ctx, Job{From: kind, Seq: n})
			if rng.IntN(2) == 0 {
				cancel()
			}
			r, err := f.Await(context.Background())
			cancel()
			s.checkReply("DoAsync canceled", key, kind, r, err, true)
		case op == 4:
			note := kind + strconv.FormatInt(s.nextNote.Add(1)-1, 10)
			s.mu.Lock()
			s.sentNotes[note] = true
			s.mu.Unlock()
			// Once sent, a one-way message runs even if its context ends.
			ctx, cancel := context.WithCancel(context.Background())
			ref.Tell(ctx, note)
			cancel()
		default:
			if _, label, err := ref.Pair(context.Background(), 1, 2); err == nil && !strings.HasPrefix(label, key+"#") {
				s.problem("Pair to %s answered by %s", key, label)
			} else if err != nil {
				s.checkReply("Pair", key, kindNormal, Reply{}, err, false)
			}
		}
		if len(pending) == 16 {
			s.awaitAll(pending, pendingKeys)
			pending, pendingKeys = pending[:0], pendingKeys[:0]
		}
		// Pauses let recipients go idle, and dedicated goroutines park, so
		// that calls run on their callers' goroutines and stops find
		// recipients in every state.
		if rng.IntN(8) == 0 {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
		}
	}
}

// awaitAll waits for the futures, each for no more than patience.
func (s *overlapRun) awaitAll(fs []*runtime.Future[Reply], keys []string) {
	for i, f := range fs {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		r, err := f.Await(ctx)
		cancel()
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			s.problem("DoAsync to %s unresolved after %v", keys[i], patience)
			continue
		}
		key, kind, _ := strings.Cut(keys[i], "/")
		s.checkReply("DoAsync", key, kind, r, err, false)
	}
}

// checkReply checks the outcome of a call of kind to key.
func (s *overlapRun) checkReply(what, key, kind string, r Reply, err error, cancelable bool) {
	var pe *runtime.PanicError
	switch {
	case err == nil:
		if kind == kindPanic || kind == kindGoexit {
			s.problem("%s to %s of a %s job returned no error", what, key, kind)
		}
		if !strings.HasPrefix(r.By, key+"#") {
			s.problem("%s to %s answered by %q", what, key, r.By)
		}
	case errors.As(err, &pe):
		if kind != kindPanic && kind != kindGoexit {
			s.problem("%s to %s of a %s job panicked: %v", what, key, kind, err)
		}
	case errors.Is(err, runtime.ErrClosed), errors.Is(err, runtime.ErrNoRecipient):
	case errors.Is(err, runtime.ErrMailboxFull) && s.cfg.failFast:
	case cancelable && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
	default:
		s.problem("%s to %s: unexpected error %v", what, key, err)
	}
}
