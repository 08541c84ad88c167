package runtime

import (
	"context"
	"math"
	goruntime "runtime"
)

// A sender is what a sender does while its message waits and runs, which
// decides how admit takes it in.
type sender uint8

const (
	// caller waits for the outcome: a synchronous call whose context can
	// end.
	caller sender = iota
	// inlineCaller is a synchronous call whose caller cannot stop waiting,
	// which may run the call itself.
	inlineCaller
	// poster goes on at once: Async, Send, and the messages of other
	// processes.
	poster
)

// admit takes rc.mu and waits, as the options say, until the mailbox has
// room for one more message from s. It returns with rc.mu held and no
// error, for commit to queue the message; otherwise rc.mu is released. For
// an inlineCaller it instead claims an idle recipient with an empty mailbox
// for the caller to run the call itself, counts the call as accepted, and
// reports so.
func (rc *recipient) admit(ctx context.Context, s sender) (claimed bool, err error) {
	if s == poster {
		rc.lockPoster()
	} else {
		rc.mu.Lock()
	}
	inlineOK := s == inlineCaller
	for {
		if rc.closing {
			rc.mu.Unlock()
			return false, rc.closedErr()
		}
		if inlineOK && rc.claimInline() {
			rc.noteAccepted()
			rc.mu.Unlock()
			return true, nil
		}
		if rc.hasRoom() {
			return false, nil
		}
		if rc.cfg.failFast {
			rc.rejected++
			rc.mu.Unlock()
			return false, rc.errors().full
		}
		if err := rc.waitRoom(ctx, !inlineOK); err != nil {
			return false, err
		}
		rc.mu.Lock()
	}
}

// commit queues m, a call or the lane of a one-way message at position at,
// with rc.mu held by admit, releases rc.mu, and gives the recipient a server
// if none serves it.
func (rc *recipient) commit(m Message, at int) {
	rc.q.push(m, at)
	rc.noteAccepted()
	spawn := false
	switch rc.state {
	case idle:
		spawn = rc.startServer()
	case lingering:
		// The lingering server finds the message when it looks again.
		rc.state = serving
	}
	rc.mu.Unlock()
	if spawn {
		go rc.serveFn()
	}
}

// occupancy returns, with rc.mu held, the messages that take room in the
// mailbox: those queued, those of the server's batch that it has not
// started, and the one being handled.
func (rc *recipient) occupancy() int {
	n := rc.q.len()
	if rc.state == inline {
		return n + 1
	}
	if rc.batchN > 0 {
		// claimed before ended: the server moves both forward, and ended
		// read later can only make the message started look ended. ended
		// keeps 32 bits of the count: their difference says which is ahead.
		started := int(rc.claimed.Load() & claimedCount)
		n += rc.batchN - min(started, rc.batchN)
		if int32(uint32(started)-rc.ended.Load()) > 0 {
			n++
		}
	}
	return n
}

// noteAccepted counts, with rc.mu held, one more message accepted. Only
// senders holding mu write accepted, so a plain store of it suffices; its
// high water is taken where the counters change (see countEnded), since
// reading them here would move the server's cache line to the sender at
// every message.
func (rc *recipient) noteAccepted() {
	rc.accepted.Store(rc.accepted.Load() + 1)
}

// hasRoom reports, with rc.mu held, whether a sender may queue a message now.
// While senders wait for room, those who come later wait behind them, so that
// a sender who waits is not overtaken for ever by senders who never do. The
// senders room was made for may all have given up since, and the server made
// room without waking anyone: a sender that finds the mailbox half empty
// wakes the waiters itself, rather than waiting behind a wait nobody ends.
func (rc *recipient) hasRoom() bool {
	size := rc.cfg.mailboxSize
	if size == 0 {
		return true
	}
	if rc.room != nil {
		if rc.wakeSenders(); rc.room != nil {
			return false
		}
	}
	switch {
	case rc.q.len()+rc.batchN+1 < size:
		// There is room even if the server has started none of its batch
		// and an inline caller runs: no need to read claimed, which the
		// server writes at every message.
		return true
	}
	return rc.occupancy() < size
}

// waitRoom waits, with rc.mu held on entry and released on return, until the
// full mailbox may have room or ctx ends. A recipient that would wait here for
// a recipient waiting for it gets ErrDeadlock; checkCycle is false where the
// caller has checked already.
func (rc *recipient) waitRoom(ctx context.Context, checkCycle bool) error {
	if rc.room == nil {
		rc.room = make(chan struct{})
		// The server starts messages without the lock, so it may have made
		// room since hasRoom looked.
		if rc.wakeSenders(); rc.room == nil {
			rc.mu.Unlock()
			return nil
		}
	}
	room := rc.room
	rc.mu.Unlock()
	if checkCycle {
		if caller := callerNode(ctx); caller != nil {
			if err := caller.beginWait(&rc.node); err != nil {
				return rc.errors().deadlock
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

// noWake is wakeAt while no sender waits for room.
const noWake = math.MaxUint64

// wakeSenders wakes, with rc.mu held, the senders waiting for room once the
// mailbox is half empty, so that each of them can queue many messages per
// wake-up; until then, it tells the server in wakeAt how far into its batch
// that will be. While senders wait nothing is queued, so that point does
// not move until the server takes its next batch.
func (rc *recipient) wakeSenders() {
	if rc.room == nil {
		return
	}
	half := rc.cfg.mailboxSize / 2
	if rc.occupancy() <= half {
		rc.openRoom()
		return
	}
	// Past the message started at claimed = c, occupancy is
	// q.len() + batchN - c + 1.
	rc.wakeAt.Store(uint64(max(rc.q.len()+rc.batchN+1-half, 1)))
}

// openRoom wakes, with rc.mu held, the senders waiting for room.
func (rc *recipient) openRoom() {
	if rc.room != nil {
		close(rc.room)
		rc.room = nil
		rc.wakeAt.Store(noWake)
	}
}

// claimedAborted is the bit of recipient.claimed that abort sets, and
// claimedCount the bits that count. The server adds one to claimed before it
// starts each message of its batch, and starts it only if the bit was not
// set; abort sets the bit and takes the messages from the count on. The one
// atomic addition decides, message by message, which of the two ends it.
const (
	claimedAborted = 1 << 63
	claimedCount   = claimedAborted - 1
)

// wakeSendersLocked is wakeSenders, taking rc.mu.
func (rc *recipient) wakeSendersLocked() {
	rc.mu.Lock()
	rc.wakeSenders()
	rc.mu.Unlock()
}

// posterTries is how many times lockPoster tries rc.mu before it parks.
const posterTries = 4

// lockPoster takes rc.mu for a poster. sync.Mutex spins before it parks
// only while no other goroutine waits to run on the sender's P, so with more
// busy senders than cores, a sender that finds mu held parks at once, to be
// woken at the next Unlock and wait for a P again. Once one has waited 1 ms
// so, the mutex turns to starvation mode: it hands mu to the parked senders
// one by one, a goroutine switch per message, and the messages of 8
// senders on 2 cores take twice as long (BenchmarkOneWay's slow mode). A
// poster has nothing to wait for: it lets the goroutines that can run,
// mu's holder among them, have its P a few times before it parks. A caller
// parks at once: 64 callers that yield take 4 times as long per call as
// 64 that park.
func (rc *recipient) lockPoster() {
	for range posterTries {
		if rc.mu.TryLock() {
			return
		}
		goruntime.Gosched()
	}
	rc.mu.Lock()
}
