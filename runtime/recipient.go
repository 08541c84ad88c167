package runtime

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

// errGoexit ends a call whose method called runtime.Goexit.
var errGoexit = errors.New("dispatch: method called runtime.Goexit")

// recipient is one registered implementation with its mailbox. At most one
// goroutine serves it at a time: a goroutine of its own, started when a
// message arrives at an idle recipient and ending when the mailbox is empty,
// or a synchronous caller that found it idle and runs the call itself.
type recipient[K comparable] struct {
	// The fields up to the first pad are set at registration, or seldom
	// written: every message reads them.
	router *Router[K]
	key    K
	keyAny any // key boxed once, for CallInfo, DeadLetter and PanicError
	impl   any
	cfg    recipientConfig
	node   node
	// bgCtx is the handler context of calls made with context.Background(),
	// and lastCtx the last one made for a parent that is itself a handler
	// context, so that the common cases allocate none.
	bgCtx   handlerCtx
	serveFn func()
	// failing makes every message taken from now on fail with ErrClosed.
	failing atomic.Bool
	// gone is set once the recipient is no longer registered, under the
	// router's lock, before its key can be registered again.
	gone atomic.Bool
	// waiting is set while room is, for the serving goroutine to see
	// without the lock.
	waiting atomic.Bool

	// The pads keep what the serving goroutine writes, what senders write
	// under mu, and what both only read, on separate cache lines: sharing
	// one would move it between the two threads at every message.
	_ [cacheLine]byte

	lastCtx atomic.Pointer[handlerCtx]
	// The counters are written by the serving goroutine alone, before it
	// publishes each outcome, so a caller that has its result sees it
	// counted. inFlight counts the messages taken from the mailbox and not
	// yet ended.
	handled, failed, panics atomic.Uint64
	inFlight                atomic.Int64

	_ [cacheLine]byte

	mu sync.Mutex
	q  mailbox
	// lanes are the queues of the messages of methods without results that
	// this recipient has been sent since it was last idle.
	lanes []laneQueue
	busy  bool // a goroutine is serving
	// lingering is set while the recipient's goroutine, having found the
	// mailbox empty, yields a little before it ends; busy is false then, so
	// that a synchronous caller may still run a call itself. epoch changes
	// whenever someone else takes the recipient from the lingering
	// goroutine, which then ends.
	lingering bool
	epoch     uint64
	closing   bool // no new messages are accepted
	stopped   bool // closing, and nothing is left to handle
	// parked is set while the dedicated goroutine of a recipient registered
	// WithDedicatedGoroutine waits on wake for the recipient's next message.
	parked bool
	wake   chan struct{}
	room   chan struct{}
	idle   chan struct{}
	// rejected and highWater are guarded by mu.
	rejected  uint64
	highWater int
}

// cacheLine is the size of a cache line on common processors.
const cacheLine = 64

func newRecipient[K comparable](r *Router[K], key K, impl any, cfg recipientConfig) *recipient[K] {
	rc := &recipient[K]{router: r, key: key, keyAny: key, impl: impl, cfg: cfg}
	rc.bgCtx = handlerCtx{Context: context.Background(), n: &rc.node}
	rc.serveFn = rc.serve
	if cfg.dedicated {
		rc.wake = make(chan struct{}, 1)
	}
	return rc
}

func (rc *recipient[K]) closedErr() error {
	return fmt.Errorf("%w: %s[%v]", ErrClosed, rc.router.name, rc.key)
}

// push puts m in the mailbox, waiting for room as the options say. With
// claim set (a synchronous call) it instead claims an idle recipient with an
// empty mailbox for the caller to run m itself, and reports so.
func (rc *recipient[K]) push(ctx context.Context, m Message, claim bool) (claimed bool, err error) {
	claimed, err = rc.reserve(ctx, claim)
	if claimed || err != nil {
		return claimed, err
	}
	rc.commit(m)
	return false, nil
}

// reserve takes rc.mu and waits, as the options say, until the mailbox has
// room for one more message. It returns with rc.mu held and no error, for
// commit to queue the message; otherwise rc.mu is released. With claim set
// (a synchronous call) it instead claims an idle recipient with an empty
// mailbox for the caller to run the call itself, and reports so.
func (rc *recipient[K]) reserve(ctx context.Context, claim bool) (claimed bool, err error) {
	rc.mu.Lock()
	for {
		if rc.closing {
			rc.mu.Unlock()
			return false, rc.closedErr()
		}
		if claim && !rc.busy && rc.q.len() == 0 {
			rc.busy = true
			rc.dropLingerer()
			rc.mu.Unlock()
			return true, nil
		}
		if rc.hasRoom() {
			return false, nil
		}
		if rc.cfg.failFast {
			rc.rejected++
			rc.mu.Unlock()
			return false, ErrMailboxFull
		}
		if err := rc.waitRoom(ctx, !claim); err != nil {
			return false, err
		}
		rc.mu.Lock()
	}
}

// hasRoom reports, with rc.mu held, whether a sender may queue a message now.
// While senders wait for room, those who come later wait behind them, so that
// a sender who waits is not overtaken for ever by senders who never do.
func (rc *recipient[K]) hasRoom() bool {
	size := rc.cfg.mailboxSize
	return size == 0 || rc.room == nil && rc.q.len()+int(rc.inFlight.Load()) < size
}

// commit queues m, with rc.mu held by reserve, releases rc.mu, and starts a
// goroutine to serve the recipient if none does.
func (rc *recipient[K]) commit(m Message) {
	rc.q.push(m)
	if n := rc.q.len() + int(rc.inFlight.Load()); n > rc.highWater {
		rc.highWater = n
	}
	start := !rc.busy && !rc.lingering
	rc.busy = true
	// A lingering goroutine finds the message when it wakes.
	rc.lingering = false
	wake := start && rc.unpark()
	rc.mu.Unlock()
	if start {
		rc.startServing(wake)
	}
}

// unpark reports, with rc.mu held, whether the recipient has a dedicated
// goroutine parked, which is then no longer: the caller must wake it.
func (rc *recipient[K]) unpark() bool {
	parked := rc.parked
	rc.parked = false
	return parked
}

// startServing gives the recipient, which its caller has just marked busy, a
// goroutine to serve it: its dedicated goroutine, woken, or a new one.
func (rc *recipient[K]) startServing(wake bool) {
	if wake {
		rc.wake <- struct{}{}
		return
	}
	go rc.serveFn()
}

// waitRoom waits, with rc.mu held on entry and released on return, until the
// full mailbox may have room or ctx ends. A recipient that would wait here for
// a recipient waiting for it gets ErrDeadlock; checkCycle is false where the
// caller has checked already.
func (rc *recipient[K]) waitRoom(ctx context.Context, checkCycle bool) error {
	if rc.room == nil {
		rc.room = make(chan struct{})
		rc.waiting.Store(true)
	}
	room := rc.room
	rc.mu.Unlock()
	if checkCycle {
		if caller := callerNode(ctx); caller != nil {
			if err := caller.beginWait(&rc.node); err != nil {
				return err
			}
			defer caller.endWait(&rc.node)
		}
	}
	select {
	case <-room:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serve is the recipient's own goroutine: it takes everything queued as one
// batch, handles it, and ends when the mailbox stays empty.
func (rc *recipient[K]) serve() {
	rc.serveFrom(nil)
}

// serveFrom handles the messages of batch, which inFlight counts already,
// then serves the mailbox.
func (rc *recipient[K]) serveFrom(batch []slot) {
	i, clean := 0, false
	var t tally
	// run is the lane whose messages run now, from its position runAt.
	var run laneQueue
	var runAt int
	defer func() {
		if !clean && i < len(batch) {
			if run != nil {
				// The messages of the run before the one that exited ended.
				batch[i].n -= run.position() - runAt
			}
			rc.flush(&t)
			rc.recoverGoexit(batch[i:])
		}
	}()
	yields := 0
	for {
		for i < len(batch) {
			s := &batch[i]
			if l, ok := s.m.(laneQueue); ok && len(rc.router.cfg.interceptors) == 0 {
				run, runAt = l, l.position()
				s.n -= rc.runLane(l, min(s.n, int(flushEvery-t.n())), &t)
				run = nil
			} else {
				rc.handle(s.m, &t)
				s.n--
			}
			if s.n == 0 {
				*s = slot{}
				i++
			}
			if t.n() >= flushEvery {
				rc.flush(&t)
			}
		}
		rc.flush(&t)
		rc.mu.Lock()
		batch, i = rc.take(batch), 0
		if len(batch) > 0 {
			yields = 0
			rc.mu.Unlock()
			continue
		}
		if yields == lingerYields || rc.closing {
			rc.settle()
			if rc.wake != nil && !rc.closing {
				rc.parked = true
				rc.mu.Unlock()
				<-rc.wake
				// Whoever woke it has marked the recipient busy.
				yields = 0
				continue
			}
			rc.mu.Unlock()
			clean = true
			putBuf(batch)
			return
		}
		yields++
		if !rc.linger() {
			clean = true
			putBuf(batch)
			return
		}
	}
}

// take returns, with rc.mu held, every queued message as the next batch, in
// exchange for done, the buffer of the last batch.
func (rc *recipient[K]) take(done []slot) []slot {
	batch, n := rc.q.swap(done)
	if n > 0 {
		for _, l := range rc.lanes {
			l.turn()
		}
		rc.inFlight.Add(int64(n))
	}
	rc.wakeSenders()
	return batch
}

// linger yields once, with rc.mu held on entry and released on return, before
// the recipient's goroutine ends: a caller that has just had its reply often
// sends again at once, and lingering saves starting a goroutine per message.
// It reports whether the goroutine still serves the recipient.
func (rc *recipient[K]) linger() bool {
	rc.busy, rc.lingering = false, true
	epoch := rc.epoch
	rc.mu.Unlock()
	goruntime.Gosched()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case rc.epoch != epoch:
		// A synchronous caller took the recipient, or it is stopping.
		return false
	case rc.lingering:
		// Nothing came: linger again, or settle.
		rc.lingering = false
		rc.busy = true
	}
	// Otherwise push handed a message over and set busy: serve it.
	return true
}

// flushEvery is how many one-way messages a recipient's goroutine handles
// between updates of its counters, which also tell senders waiting for room
// that there is some.
const flushEvery = 32

// wakeSenders wakes, with rc.mu held, the senders waiting for room once the
// mailbox is half empty, so that each of them can queue many messages per
// wake-up.
func (rc *recipient[K]) wakeSenders() {
	if rc.q.len()+int(rc.inFlight.Load()) <= rc.cfg.mailboxSize/2 {
		rc.openRoom()
	}
}

// openRoom wakes, with rc.mu held, the senders waiting for room.
func (rc *recipient[K]) openRoom() {
	if rc.room != nil {
		close(rc.room)
		rc.room = nil
		rc.waiting.Store(false)
	}
}

// lingerYields is how many times a recipient's goroutine yields, finding
// its mailbox empty, before it ends.
const lingerYields = 2

// dropLingerer tells a lingering goroutine, with rc.mu held, that it is no
// longer the recipient's.
func (rc *recipient[K]) dropLingerer() {
	if rc.lingering {
		rc.lingering = false
		rc.epoch++
	}
}

// recoverGoexit keeps the recipient served after a method called
// runtime.Goexit on the serving goroutine: the message it was handling, the
// first of rest, fails, and a new goroutine takes over the rest.
func (rc *recipient[K]) recoverGoexit(rest []slot) {
	cur := rest[0].m
	rc.count(resPanicked)
	rc.end(cur, errGoexit)
	rest = slices.Clone(rest)
	if rest[0].n--; rest[0].n == 0 {
		rest = rest[1:]
	}
	go rc.serveFrom(rest)
}

// count records how the handling of a message taken from the mailbox ended.
func (rc *recipient[K]) count(res result) {
	switch res {
	case resHandled:
		rc.handled.Add(1)
	case resFailed:
		rc.failed.Add(1)
	case resPanicked:
		rc.panics.Add(1)
	}
	rc.inFlight.Add(-1)
}

// tally counts the one-way messages of a batch, which no caller waits for,
// so that they cost the counters one update per flushEvery messages (or per
// call that follows them), not three per message.
type tally struct {
	handled, failed, panics uint64
}

func (t *tally) count(res result) {
	switch res {
	case resHandled:
		t.handled++
	case resFailed:
		t.failed++
	case resPanicked:
		t.panics++
	}
}

// n returns how many messages t counts.
func (t *tally) n() uint64 { return t.handled + t.failed + t.panics }

// flush adds t to rc's counters, ends its messages' time in flight, wakes the
// senders waiting for the room they leave, and empties t.
func (rc *recipient[K]) flush(t *tally) {
	n := t.n()
	if n == 0 {
		return
	}
	rc.inFlight.Add(-int64(n))
	if t.handled > 0 {
		rc.handled.Add(t.handled)
	}
	if t.failed > 0 {
		rc.failed.Add(t.failed)
	}
	if t.panics > 0 {
		rc.panics.Add(t.panics)
	}
	*t = tally{}
	if rc.waiting.Load() {
		rc.mu.Lock()
		rc.wakeSenders()
		rc.mu.Unlock()
	}
}

// settle marks, with rc.mu held, that no goroutine serves the recipient now
// that its mailbox is empty, and wakes the senders waiting for room: an
// empty mailbox has room, and no later pop would tell them.
func (rc *recipient[K]) settle() {
	rc.busy = false
	rc.q.settle()
	for i, l := range rc.lanes {
		l.release()
		rc.lanes[i] = nil
	}
	rc.lanes = rc.lanes[:0]
	rc.openRoom()
	if rc.closing && !rc.stopped {
		rc.stopped = true
		if rc.idle != nil {
			close(rc.idle)
		}
	}
}

// release ends a synchronous caller's inline run of a message: what arrived
// meanwhile is handed to a goroutine of the recipient's own.
func (rc *recipient[K]) release() {
	rc.mu.Lock()
	start := rc.q.len() > 0
	wake := start && rc.unpark()
	if !start {
		rc.settle()
	}
	rc.mu.Unlock()
	if start {
		rc.startServing(wake)
	}
}

// handle runs one message taken from the mailbox, counts it and publishes its
// outcome.
func (rc *recipient[K]) handle(m Message, t *tally) {
	h := m.hdr()
	if h.mode == modeOneWay {
		rc.handleOneWay(m.(laneQueue), t)
		return
	}
	// Only a call's caller can give up on it.
	if !h.state.CompareAndSwap(stQueued, stRunning) {
		// Its caller gave up on it while it was queued and left it to us.
		rc.count(resFailed)
		recycle(h, m)
		return
	}
	if h.stop != nil {
		h.stop()
	}
	res, err := rc.runChecked(h.ctx, m)
	// The one-way messages before this call are counted before its caller
	// has its result, as the call itself is.
	rc.flush(t)
	rc.count(res)
	rc.end(m, err)
	if res == resPanicked {
		rc.afterPanic()
	}
}

// runLane runs the next n messages of the lane l and returns how many ended,
// fewer if one panicked.
func (rc *recipient[K]) runLane(l laneQueue, n int, t *tally) int {
	ended, failed, panicked := l.runRun(rc, rc.impl, n, &rc.failing)
	t.failed += uint64(failed)
	t.handled += uint64(ended - failed)
	if panicked {
		t.handled--
		t.panics++
		rc.afterPanic()
	}
	return ended
}

// deadLetterOneWay gives a message of a method without results that failed
// to the dead-letter handler.
func (rc *recipient[K]) deadLetterOneWay(m OneWayMessage, err error) {
	rc.router.deadLetter(rc.keyAny, m, err)
}

// handleOneWay runs the next message of the lane l, taken from the mailbox.
func (rc *recipient[K]) handleOneWay(l laneQueue, t *tally) {
	res, err := rc.runChecked(l.peek(), l)
	t.count(res)
	if err != nil {
		rc.router.deadLetter(rc.keyAny, l.pop(true), err)
	} else {
		l.pop(false)
	}
	if res == resPanicked {
		rc.afterPanic()
	}
}

// runChecked runs m with ctx, unless the recipient is stopping or ctx has
// ended, and says how that went.
func (rc *recipient[K]) runChecked(ctx context.Context, m Message) (result, error) {
	switch {
	case rc.failing.Load():
		return resFailed, rc.closedErr()
	case ctx.Err() != nil:
		return resFailed, ctx.Err()
	}
	err, panicked := rc.run(ctx, m)
	if panicked {
		return resPanicked, err
	}
	return resHandled, err
}

// end publishes the outcome of a message taken from the mailbox.
func (rc *recipient[K]) end(m Message, err error) {
	h := m.hdr()
	switch h.mode {
	case modeOneWay:
		l := m.(laneQueue)
		if err != nil {
			rc.router.deadLetter(rc.keyAny, l.pop(true), err)
			return
		}
		l.pop(false)
	case modeAsync:
		h.state.Store(stDone)
		m.finish(err)
	case modeSync:
		if h.state.CompareAndSwap(stRunning, stDone) {
			m.finish(err)
		} else {
			// Its caller stopped waiting while it ran.
			recycle(h, m)
		}
	}
}

// run calls m's method with the handler context for parent, through the
// interceptors, and turns a panic into a *PanicError.
func (rc *recipient[K]) run(parent context.Context, m Message) (err error, panicked bool) {
	ctx := rc.contextFor(parent)
	if len(rc.router.cfg.interceptors) == 0 {
		return rc.invoke(ctx, m)
	}
	return rc.intercept(ctx, m)
}

func (rc *recipient[K]) invoke(ctx context.Context, m Message) (err error, panicked bool) {
	returned := false
	defer func() {
		if !returned {
			if v := recover(); v != nil {
				err, panicked = rc.panicError(m.Method(), v), true
			}
		}
	}()
	m.Run(ctx, rc.impl)
	returned = true
	return m.outcome(), false
}

func (rc *recipient[K]) panicError(method string, v any) *PanicError {
	return &PanicError{Recipient: rc.router.name, Key: rc.keyAny, Method: method, Value: v, Stack: debug.Stack()}
}

// afterPanic stops a recipient registered with WithStopOnPanic.
func (rc *recipient[K]) afterPanic() {
	if !rc.cfg.stopOnPanic {
		return
	}
	rc.router.forget(rc)
	rc.beginStop()
	rc.abort(rc.closedErr())
}

// contextFor returns the context the recipient's method gets for a call made
// with parent.
func (rc *recipient[K]) contextFor(parent context.Context) context.Context {
	if parent == context.Background() {
		return &rc.bgCtx
	}
	if hc, ok := parent.(*handlerCtx); ok {
		if c := rc.lastCtx.Load(); c != nil && c.Context == context.Context(hc) {
			return c
		}
		c := &handlerCtx{Context: hc, n: &rc.node}
		rc.lastCtx.Store(c)
		return c
	}
	return &handlerCtx{Context: parent, n: &rc.node}
}

// beginStop makes the recipient refuse new messages and returns a channel
// closed once it has handled what is queued, or nil if it already has.
func (rc *recipient[K]) beginStop() <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.closing = true
	rc.dropLingerer()
	rc.openRoom()
	if rc.unpark() {
		// The dedicated goroutine ends once it finds the recipient closing.
		rc.busy = true
		rc.wake <- struct{}{}
	}
	if !rc.busy && rc.q.len() == 0 {
		rc.stopped = true
	}
	if rc.stopped {
		return nil
	}
	if rc.idle == nil {
		rc.idle = make(chan struct{})
	}
	return rc.idle
}

// abort fails, with err, every message still queued and those taken but not
// yet started, and returns how many were queued.
func (rc *recipient[K]) abort(err error) int {
	rc.failing.Store(true)
	rc.mu.Lock()
	rest := rc.q.drain()
	// The one-way messages leave their lanes now, in order, under the lock
	// that senders append to the lanes under.
	var letters []OneWayMessage
	for i, m := range rest {
		if l, ok := m.(laneQueue); ok {
			letters = append(letters, l.popQueued())
			rest[i] = nil
		}
	}
	rc.failed.Add(uint64(len(rest)))
	rc.mu.Unlock()
	for _, msg := range letters {
		rc.router.deadLetter(rc.keyAny, msg, err)
	}
	for _, m := range rest {
		if m == nil {
			continue
		}
		h := m.hdr()
		if !h.state.CompareAndSwap(stQueued, stRunning) {
			recycle(h, m)
			continue
		}
		if h.stop != nil {
			h.stop()
		}
		rc.end(m, err)
	}
	rc.mu.Lock()
	if !rc.busy {
		rc.settle()
	}
	rc.mu.Unlock()
	return len(rest)
}

func (rc *recipient[K]) snapshot() Stats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return Stats{
		Queued:    rc.q.len() + int(rc.inFlight.Load()),
		Handled:   rc.handled.Load(),
		Failed:    rc.failed.Load(),
		Panics:    rc.panics.Load(),
		Rejected:  rc.rejected,
		HighWater: rc.highWater,
	}
}
