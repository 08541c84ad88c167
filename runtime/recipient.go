package runtime

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// recipient is one registered implementation with its mailbox. It does not
// know the type of its key, so that one copy of its code serves every
// router of a program. Its code is split by topic: admission.go takes
// messages in and holds senders back, inbound.go does the same for messages
// from other processes, serving.go decides who serves the recipient,
// running.go runs one message, counting.go keeps the counters and
// stopping.go stops it.
//
// Its fields are in three groups, each on cache lines of its own: what every
// message reads and few write, what the server writes at every message or
// run of messages, and what senders write under mu. Sharing a line would
// move it between the server's core and a sender's at every message. The
// groups are on lines of their own in memory only if the recipient is: the
// heap places an object at a multiple of its size class, and the recipient
// is 512 bytes, a size class and a multiple of a cache line, so that it
// starts on one (TestRecipientGroupsOnLinesOfTheirOwn checks both).
type recipient struct {
	recipientShared
	_ [(cacheLine - unsafe.Sizeof(recipientShared{})%cacheLine) % cacheLine]byte
	recipientServed
	_ [(cacheLine - unsafe.Sizeof(recipientServed{})%cacheLine) % cacheLine]byte
	recipientLocked
}

// recipientShared is what a recipient sets at registration, or seldom
// writes, and every message reads.
type recipientShared struct {
	// rt is the configuration of the router the recipient is registered
	// with, and reg the router itself, which the recipient need not know
	// the key type of.
	rt   *routerConfig
	reg  registry
	key  any // boxed once, for CallInfo, DeadLetter and PanicError
	impl any
	cfg  recipientConfig
	node node
	// bgCtx is the context a method receives for a call made with
	// context.Background().
	bgCtx handlerCtx
	// wakeAt is the value of claimed at which the senders waiting for room
	// are to be woken, or noWake: the server reads it at every message,
	// senders write it when they start to wait.
	wakeAt atomic.Uint64
	// failing makes every message that has not started fail with ErrClosed;
	// abort sets it.
	failing atomic.Bool
	// gone is set once the recipient is no longer registered, under the
	// router's lock, before its key can be registered again.
	gone atomic.Bool
	// flushing is set while Flush calls wait, for the server to see
	// without the lock.
	flushing atomic.Bool
	// errs holds the errors that name this recipient, made when first
	// needed, so that an idle recipient holds none. It is read without mu.
	errs atomic.Pointer[recipientErrors]
}

// recipientServed belongs to whoever serves the recipient (see serving.go).
type recipientServed struct {
	// claimed counts the messages of the current batch that the server has
	// started, or, once claimedAborted is set, that abort has left to it:
	// see claimedAborted.
	claimed atomic.Uint64
	// batch is what the server took from the mailbox to handle, in order;
	// abort reads it, under mu, from claimed on.
	batch []slot
	// lastParent and lastCtx are the parent and the context made for it of
	// the last message, which the next message often shares.
	lastParent     context.Context
	lastCtx        *handlerCtx
	lastCancelable bool
	// ended counts the messages of the current batch that the server has
	// started and ended, as senders may know it: it catches up with claimed
	// whenever the server adds to the counters, so before a call's caller
	// has its result and before Stats or Flush can show a message ended;
	// in between it may lag, and the message it lags behind counts as the
	// one being handled. 32 bits, beside lastCancelable, keep what the
	// server writes at every message on one cache line; a batch has fewer
	// messages than that.
	ended atomic.Uint32
	// counts are the counters of the messages that ended, which the server
	// adds to once per call or per run of one-way messages, and which Stats
	// reads.
	counts counters
	// out counts the ended messages whose outcome is out: a call's result
	// published, a one-way message's dead letter handed over. It lags the
	// counters by the messages being published, and Flush waits for it.
	// The server and abort add to it without mu.
	out atomic.Uint64
}

// recipientLocked is guarded by mu.
type recipientLocked struct {
	mu sync.Mutex
	q  mailbox
	// batchN is the number of messages in batch.
	batchN int
	// lanes are the queues of the messages of methods without results that
	// this recipient has been sent since it was last idle.
	lanes []laneQueue
	// lastFrom and lastLane are the Lane and the lane of the last one-way
	// message, as *Lane[M] and *lane[M] of the same M, for laneOf.
	lastFrom, lastLane unsafe.Pointer
	// gen and state say who serves the recipient: see serveState.
	gen   uint64
	state serveState
	// parked is set while the dedicated goroutine of a recipient registered
	// WithDedicatedGoroutine waits on wake to be given the recipient.
	parked  bool
	closing bool // no new messages are accepted
	// admitters counts the admitWaiting goroutines that have not ended:
	// the recipient has stopped only once they have replied to every
	// inbound message that waited for room (see finished).
	admitters uint32
	wake      chan struct{}
	// room is closed to wake the senders waiting for room; nil while none
	// waits.
	room chan struct{}
	// inbound holds the messages from other processes that wait for room,
	// in the order they came; nil while none waits.
	inbound *inboundQueue
	// idle is closed once the recipient has stopped.
	idle chan struct{}
	// accepted and rejected count for Stats. accepted is written with mu
	// held and read without it where the counters change.
	accepted atomic.Uint64
	rejected uint64
	// highWater is the most messages Stats can have counted as queued,
	// raised where the counters change and where Stats reads them. The
	// server writes it only when it grows, so that it can share the line
	// senders write without moving it at every change of the counters.
	highWater atomic.Int64
	// flushers are the Flush calls waiting for messages to end, for out
	// (in recipientServed) to reach their mark.
	flushers []flusher
	// serveFn is rc.serve, bound once at creation and read without mu: go
	// rc.serve() would allocate the bound method for every goroutine
	// started for the recipient.
	serveFn func()
}

// cacheLine is the size of a cache line on common processors.
const cacheLine = 64

// registry is the router a recipient is registered with.
type registry interface {
	// forget removes rc if it is still the recipient under its key.
	forget(rc *recipient)
}

func newRecipient(rt *routerConfig, reg registry, key, impl any, cfg recipientConfig) *recipient {
	rc := &recipient{}
	rc.rt, rc.reg, rc.key, rc.impl, rc.cfg = rt, reg, key, impl, cfg
	rc.bgCtx = handlerCtx{Context: context.Background(), n: &rc.node}
	rc.serveFn = rc.serve
	rc.wakeAt.Store(noWake)
	if cfg.dedicated {
		rc.wake = make(chan struct{}, 1)
	}
	return rc
}

// recipientErrors are the dispatch errors that name one recipient.
type recipientErrors struct {
	closed, full, deadlock error
}

// errors returns the recipient's errors, making them on first use.
func (rc *recipient) errors() *recipientErrors {
	if e := rc.errs.Load(); e != nil {
		return e
	}
	name := fmt.Sprintf("%s[%v]", rc.rt.name, rc.key)
	e := &recipientErrors{
		closed:   fmt.Errorf("%w: %s", ErrClosed, name),
		full:     fmt.Errorf("%w: %s", ErrMailboxFull, name),
		deadlock: fmt.Errorf("%w: %s", ErrDeadlock, name),
	}
	if rc.errs.CompareAndSwap(nil, e) {
		return e
	}
	return rc.errs.Load()
}

func (rc *recipient) closedErr() error { return rc.errors().closed }
