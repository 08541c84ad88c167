package runtime_test

import (
	"flag"
	"strings"
	"testing"
	"time"
)

// fzAvoid names paths on which the runtime has a known, reported bug, for
// the model not to take, so that a long fuzz run explores past that bug
// instead of finding it again at once. By default every path is taken.
var fzAvoid = flag.String("fzavoid", "", "comma-separated `paths` the fuzz model does not take: "+strings.Join(fzAvoidable, ", "))

// fzAvoidable are the paths fzAvoid may name.
var fzAvoidable = []string{
	// A one-way message whose interceptor panics after calling next.
	"tell-panic-after-next",
	// A send to a mailbox whose recipient is done with its last message,
	// which the model then lets keep its room.
	"room-after-end",
	// A Flush that returns nil while the Future of a call it waited for,
	// which the model then waits for, is not yet resolved.
	"flush-before-end",
	// A Close that gives up, whose Stats keep the counters from before it
	// failed what had not started.
	"close-keeps-counts-before-failing",
}

// fzAvoids reports whether the run is not to take path.
func fzAvoids(path string) bool {
	for _, p := range strings.Split(*fzAvoid, ",") {
		if p == path {
			return true
		}
	}
	return false
}

// FuzzRouterModel runs a sequence of operations on a WorkerDispatcher and
// checks, after every one, what the runtime did against a model: which keys
// are registered with which options, which messages each mailbox accepted,
// which are certainly queued behind a method held at a gate, and how each
// message may end. It drives every path a message can take: calls run on
// their caller's goroutine and on the recipient's, dedicated goroutines,
// interceptors that panic, skip next or call it twice, runs of one-way
// messages, methods that panic (with nil, too) or call runtime.Goexit,
// methods stuck past the deadline of an Unregister or a Close, Flush, and
// callbacks (dead-letter handlers that panic, OnResolve). After every
// operation it checks that no recipient ran two methods at once, that every
// message that ended did so once and as the model allows, and that Stats
// adds up; at the end, that everything sent has ended.
//
// The files fuzz_*_test.go hold the model by topic: this one the input's
// encoding and the seeds, fuzz_model_test.go the model's state and its
// rules of admission, fuzz_send_test.go the sending operations,
// fuzz_stop_test.go registration, holds, Flush, Unregister and Close,
// fuzz_check_test.go the checks, and fuzz_tracker_test.go the worker, the
// interceptors and the callbacks, which report what happens on the
// runtime's goroutines.
func FuzzRouterModel(f *testing.F) {
	for _, s := range fzSeeds() {
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
			m.watch()
			m.step(data[i], data[i+1])
		}
		m.watch()
		m.finish()
	})
}

// The input is one configuration byte followed by two bytes per operation:
// the first picks the operation (modulo fzNumOps) and an extra variant (the
// quotient), the second a key (modulo fzKeys) and the variant (the
// quotient).
const (
	fzMaxOps = 200
	fzKeys   = 4
	// fzTinyKey is outside the keys the other operations draw from, so that
	// the one recipient with a mailbox of one place can never make the test
	// goroutine wait for room except where fzOpOverflow arranges it.
	fzTinyKey = "tiny"
	// fzRoomWait bounds a wait that a correct runtime ends at once (for
	// room, for a method to start, for a callback), and fzDrainWait a Close
	// or Await that a correct runtime ends as soon as every gate is open;
	// a passing run reaches neither.
	fzRoomWait  = 2 * time.Second
	fzDrainWait = 5 * time.Second
	// fzMaxTimedWaits caps the live deadlines of a millisecond given per run,
	// so that a run stays fast whatever the input.
	fzMaxTimedWaits = 4
)

var fzKeyNames = [fzKeys]string{"k0", "k1", "k2", "k3"}

// The configuration byte's bits: the dispatcher's options.
const (
	fzConfigUnbounded = 1 << iota
	// fzConfigIntercept installs two interceptors: an outer one that counts
	// and an inner one that does to each message what its spec says.
	fzConfigIntercept
	fzConfigDedicated
	// fzConfigDeadLetterPanics makes the dead-letter handler panic after it
	// has recorded each dead letter.
	fzConfigDeadLetterPanics
)

// The operations.
const (
	fzOpRegister    = iota // key; the recipient's options, see register
	fzOpRegisterDup        // a key registered now, if any
	fzOpUnregister         // key; the context, see stopContext
	fzOpDo                 // key; the message, see msgOf; extra bit 3 sends it from a goroutine
	fzOpDoAsync            // key; the message; extra bit 3 adds OnResolve callbacks
	fzOpCancel             // cancel the context of an earlier message
	fzOpTell               // key; the message
	fzOpClose              // drain, or give up: see close
	fzOpCheck              // wait for the counters of every worker whose messages have all ended
	fzOpHold               // key; a message that waits at a gate, see holdOp
	fzOpRelease            // open the gate of an earlier hold
	fzOpOverflow           // a sender waits for room in a full mailbox, see overflow
	fzOpFlush              // key; the context, see flush
	fzOpBurst              // key; many Tells in a row, see burst
	fzNumOps
)

// fzJob is what a message's method does; Job.From and a Tell's note carry
// its name.
type fzJob uint8

const (
	fzNormal fzJob = iota
	fzFail         // a call returns errFzJobFailed; a Tell returns
	fzPanic
	fzPanicNil
	fzGoexit
	fzHoldJob // waits at its gate, a call also until its context ends
	fzStuck   // waits at its gate, whatever its context does
	fzSelf    // waits for its own recipient, which must refuse with ErrDeadlock
	fzNumJobs
)

var fzJobNames = [fzNumJobs]string{"normal", "fail", "panic", "panicnil", "goexit", "hold", "stuck", "self"}

func (j fzJob) String() string { return fzJobNames[j] }

// fzJobOf returns the job named name; other names are normal.
func fzJobOf(name string) fzJob {
	for j, n := range fzJobNames {
		if n == name {
			return fzJob(j)
		}
	}
	return fzNormal
}

// panics reports whether the method of job ends by a panic or Goexit.
func (j fzJob) panics() bool { return j == fzPanic || j == fzPanicNil || j == fzGoexit }

// holds reports whether the method of job waits at a gate.
func (j fzJob) holds() bool { return j == fzHoldJob || j == fzStuck }

// fzCtx is the context a message is sent with.
type fzCtx uint8

const (
	fzCtxBackground fzCtx = iota
	fzCtxCanceled
	// fzCtxCancelable is canceled later: a Tell's once Send has returned,
	// another's by fzOpCancel.
	fzCtxCancelable
	fzCtxValue    // Background with a value
	fzCtxDeadline // a millisecond away, or past once fzMaxTimedWaits are spent
	fzCtxFar      // an hour away
	fzNumCtxs
)

var fzCtxNames = [fzNumCtxs]string{"Background", "canceled", "cancelable", "value", "deadline", "far deadline"}

func (c fzCtx) String() string { return fzCtxNames[c] }

// fzSpec is what the inner interceptor does with a message.
type fzSpec uint8

const (
	fzSpecPass fzSpec = iota
	fzSpecPanicBefore
	fzSpecPanicAfter
	fzSpecSkipErr // returns errFzSkipped without calling next
	fzSpecSkipNil // returns nil without calling next
	fzSpecTwice
	fzSpecGoexit
	fzNumSpecs
)

var fzSpecNames = [fzNumSpecs]string{"pass", "panic before next", "panic after next", "skip next with an error", "skip next", "next twice", "Goexit"}

func (s fzSpec) String() string { return fzSpecNames[s] }

// panics reports whether the interceptor ends the message by a panic or
// Goexit.
func (s fzSpec) panics() bool {
	return s == fzSpecPanicBefore || s == fzSpecPanicAfter || s == fzSpecGoexit
}

// skips reports whether the interceptor ends the message without its
// method.
func (s fzSpec) skips() bool {
	return s == fzSpecPanicBefore || s == fzSpecSkipErr || s == fzSpecSkipNil || s == fzSpecGoexit
}

// fzMsg is a message to send: its job, its context and its spec.
type fzMsg struct {
	job  fzJob
	ctx  fzCtx
	spec fzSpec
}

func (g fzMsg) String() string {
	return g.job.String() + ", context " + g.ctx.String() + ", interceptor " + g.spec.String()
}

// msgOf decodes a message: the variant v picks the job (v%8) and the
// context ((v/8)%8, the two past fzNumCtxs meaning Background and a value),
// the extra variant x the spec (x%8, 7 meaning pass), which only a run with
// interceptors uses.
func (m *fzRun) msgOf(v, x int) fzMsg {
	ctxs := [8]fzCtx{fzCtxBackground, fzCtxCanceled, fzCtxCancelable, fzCtxValue, fzCtxDeadline, fzCtxFar, fzCtxBackground, fzCtxValue}
	g := fzMsg{job: fzJob(v % 8), ctx: ctxs[(v/8)%8]}
	if m.intercepting && x%8 < int(fzNumSpecs) {
		g.spec = fzSpec(x % 8)
	}
	return g
}

// step runs one operation and checks the runtime against the model. Every
// pair of bytes means something, so that no input the fuzzer makes is
// wasted.
func (m *fzRun) step(op, arg byte) {
	m.t.Helper()
	key, v, x := fzKeyNames[int(arg)%fzKeys], int(arg)/fzKeys, int(op)/fzNumOps
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
		m.call(key, m.msgOf(v, x), x/8%2 == 1)
	case fzOpDoAsync:
		m.callAsync(key, m.msgOf(v, x), x/8%2 == 1)
	case fzOpCancel:
		m.cancelOne(int(arg))
	case fzOpTell:
		m.tell(key, m.msgOf(v, x))
	case fzOpClose:
		m.close(v)
	case fzOpCheck:
		m.checkIdle()
	case fzOpHold:
		m.holdOp(key, v)
	case fzOpRelease:
		m.releaseOne(int(arg))
	case fzOpOverflow:
		m.overflow(v)
	case fzOpFlush:
		m.flush(key, v)
	case fzOpBurst:
		m.burst(key, v, x)
	}
	m.checkStep()
}
