package runtime

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Stats are one recipient's counters. Every message its mailbox accepted is
// in exactly one of Queued, Handled, Failed and Panics, in every snapshot: a
// message being handled right now counts as queued, and a call is counted as
// ended, with every message the recipient handled before it, before its
// caller has its result. A call whose caller gave up on it while it was
// queued counts as queued until the recipient reaches it, or stops, and
// then as failed. A one-way message that ran may count as queued
// while the recipient runs up to 31 one-way messages after it, so that a run
// of them costs the counters one update, not one per message; a call, a
// waiting Flush or an idle recipient ends that. A call run by its caller on
// an idle recipient counts the same way.
type Stats struct {
	// Queued is the number of messages accepted and not yet counted as
	// ended.
	Queued int
	// Handled counts the messages whose method ran and returned, with or
	// without an error.
	Handled uint64
	// Failed counts the messages accepted that ended without their method
	// running: canceled while queued, failed with ErrClosed, or stopped by
	// an interceptor that did not call next.
	Failed uint64
	// Panics counts the messages whose method panicked or called
	// runtime.Goexit.
	Panics uint64
	// Rejected counts the sends refused with ErrMailboxFull.
	Rejected uint64
	// HighWater is the most messages Queued has counted at once.
	HighWater int
}

// result is how the handling of one message ended.
type result uint8

const (
	resHandled result = iota
	resFailed
	resPanicked
)

// counters are the counts of the messages of a recipient that ended, one
// per kind. Only the recipient's server, and abort, add to them. Each kind
// is counted for itself, never derived from a total: a snapshot taken while
// a server adds to them may miss some of what it adds, which then counts as
// queued, but never shows a message as of a kind it did not end as.
type counters struct {
	handled, failed, panics atomic.Uint64
}

// read returns the three counts.
func (c *counters) read() (handled, failed, panics uint64) {
	return c.handled.Load(), c.failed.Load(), c.panics.Load()
}

// ended returns how many messages the counters count.
func (c *counters) ended() uint64 {
	handled, failed, panics := c.read()
	return handled + failed + panics
}

// add adds what t counts to c.
func (c *counters) add(t *tally) {
	if t.handled > 0 {
		c.handled.Add(t.handled)
	}
	if t.failed > 0 {
		c.failed.Add(t.failed)
	}
	if t.panics > 0 {
		c.panics.Add(t.panics)
	}
}

// tally counts the ended messages of a server that the counters do not show
// yet, so that a run of one-way messages, which no caller waits for, costs
// the counters one update per flushEvery messages, not one per message.
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

// flushEvery is how many ended messages a server may count in its tally
// before it adds them to the counters.
const flushEvery = 32

// flushSome adds t to rc's counters once it counts flushEvery messages.
func (rc *recipient) flushSome(t *tally) {
	if t.n() >= flushEvery {
		rc.flush(t)
	}
}

// flush adds t to rc's counters, empties it, and ends the Flush calls that
// were waiting for those messages, whose outcomes are out already.
func (rc *recipient) flush(t *tally) { rc.outcomesOut(rc.publish(t)) }

// publish adds t to rc's counters, empties it, and returns how many
// messages it counted, for outcomesOut once their outcomes are out: a
// message is counted as ended before its caller has its result, and a Flush
// returns after.
//
// The server publishes only between messages, so every message it has
// started has ended: it says so to senders first, in ended, so that a
// message counted as ended has left its room.
func (rc *recipient) publish(t *tally) uint64 {
	n := t.n()
	if n == 0 {
		return 0
	}
	rc.ended.Store(uint32(rc.claimed.Load() & claimedCount))
	rc.countEnded(*t)
	*t = tally{}
	return n
}

// outcomesOut records that the outcomes of n more ended messages are out,
// and ends the Flush calls that were waiting for them.
func (rc *recipient) outcomesOut(n uint64) {
	if n == 0 {
		return
	}
	rc.out.Add(n)
	if rc.flushing.Load() {
		rc.endFlushersLocked()
	}
}

// endFlushersLocked is endFlushers, taking rc.mu.
func (rc *recipient) endFlushersLocked() {
	rc.mu.Lock()
	rc.endFlushers()
	rc.mu.Unlock()
}

// snapshot returns rc's counters. The counts of ended messages are read
// before the count of accepted ones, which only grows, so that Queued is
// never negative and the counts always add up to what was accepted.
func (rc *recipient) snapshot() Stats {
	handled, failed, panics := rc.counts.read()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	queued := rc.accepted.Load() - handled - failed - panics
	rc.raiseHighWater(queued)
	return Stats{
		Queued:    int(queued),
		Handled:   handled,
		Failed:    failed,
		Panics:    panics,
		Rejected:  rc.rejected,
		HighWater: int(rc.highWater.Load()),
	}
}

// countEnded adds t to the counters, which change nowhere else. Queued,
// accepted less ended, only grows between two changes of them: its highest
// since the last change is now, before this one, and the high water is
// taken then.
func (rc *recipient) countEnded(t tally) {
	rc.raiseHighWater(rc.accepted.Load() - rc.counts.ended())
	rc.counts.add(&t)
}

// raiseHighWater records that Stats can have counted queued messages as
// queued at once.
func (rc *recipient) raiseHighWater(queued uint64) {
	for {
		hw := rc.highWater.Load()
		if int64(queued) <= hw || rc.highWater.CompareAndSwap(hw, int64(queued)) {
			return
		}
	}
}

// flusher is a Flush call waiting until the recipient's counters count
// upTo messages as ended.
type flusher struct {
	upTo uint64
	done chan struct{}
}

// flushAll waits until every message that rc accepted before it was called has
// ended, or ctx ends.
func (rc *recipient) flushAll(ctx context.Context) error {
	if caller := callerNode(ctx); caller != nil {
		if err := caller.beginWait(&rc.node); err != nil {
			return rc.errors().deadlock
		}
		defer caller.endWait(&rc.node)
	}
	rc.mu.Lock()
	f := flusher{upTo: rc.accepted.Load()}
	// Set before the counters are read: a server that adds to them then
	// either sees it and ends f, or added before they were read here.
	rc.flushing.Store(true)
	if rc.out.Load() >= f.upTo {
		rc.flushing.Store(len(rc.flushers) > 0)
		rc.mu.Unlock()
		return nil
	}
	f.done = make(chan struct{})
	rc.flushers = append(rc.flushers, f)
	rc.mu.Unlock()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("dispatch: flush %s[%v]: %w", rc.rt.name, rc.key, ctx.Err())
	}
}

// endFlushers ends, with rc.mu held, the Flush calls whose messages have all
// ended with their outcomes out.
func (rc *recipient) endFlushers() {
	out := rc.out.Load()
	kept := rc.flushers[:0]
	for _, f := range rc.flushers {
		if out >= f.upTo {
			close(f.done)
		} else {
			kept = append(kept, f)
		}
	}
	clear(rc.flushers[len(kept):])
	rc.flushers = kept
	rc.flushing.Store(len(kept) > 0)
}
