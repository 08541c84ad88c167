package runtime

// beginStop makes the recipient refuse new messages and returns a channel
// closed once it has stopped, or nil if it already has.
func (rc *recipient) beginStop() <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.closing = true
	// Senders waiting for room find the recipient closing.
	rc.openRoom()
	if rc.state == idle {
		rc.settle()
	}
	if rc.finished() {
		return nil
	}
	if rc.idle == nil {
		rc.idle = make(chan struct{})
	}
	return rc.idle
}

// abort ends, with err, every message of the recipient that has not started:
// those queued, and those of the server's batch that it has not started,
// even while the server is stuck in a method. Calls fail with err and one-way
// messages go to the dead-letter handler, after the counters count them all.
// abort returns how many messages it ended. The recipient must be closing.
func (rc *recipient) abort(err error) int {
	rc.failing.Store(true)
	var calls []Message
	var letters []OneWayMessage
	collect := func(s slot, from, to int, queued bool) {
		l, isLane := s.m.(laneQueue)
		for k := from; k < to; k++ {
			switch {
			case !isLane:
				calls = append(calls, s.m)
			case queued:
				letters = append(letters, l.takeIn(s.at+k))
			default:
				letters = append(letters, l.takeOut(s.at+k))
			}
		}
	}
	rc.mu.Lock()
	if rc.batchN > 0 {
		// From here on, the server starts none of its batch: the messages
		// from started to batchN are abort's. An abort before this one may
		// have taken some already, and made batchN smaller.
		started := int(min(rc.claimed.Or(claimedAborted)&claimedCount, uint64(rc.batchN)))
		i := 0
		for _, s := range rc.batch {
			if i >= rc.batchN {
				break
			}
			if i+s.n > started {
				collect(s, max(started-i, 0), min(s.n, rc.batchN-i), false)
			}
			i += s.n
		}
		rc.batchN = started
	}
	queued := rc.q.drain()
	for _, s := range queued {
		collect(s, 0, s.n, true)
	}
	clear(queued)
	n := len(calls) + len(letters)
	rc.countEnded(tally{failed: uint64(n)})
	if rc.state == idle {
		rc.settle()
	}
	rc.mu.Unlock()
	// The Flush calls that these messages end return after their outcomes.
	defer rc.outcomesOut(uint64(n))
	for _, m := range calls {
		h := m.hdr()
		if !h.state.CompareAndSwap(stQueued, stRunning) {
			// Its caller gave up on it while it was queued.
			recycle(h, m)
			continue
		}
		rc.end(m, nil, 0, err)
	}
	for _, msg := range letters {
		rc.rt.deadLetter(rc.key, msg, err)
	}
	return n
}

// finishedLocked is finished, taking rc.mu: once it holds, nothing of the
// recipient runs, is queued or waits for room, and its counters no longer
// change.
func (rc *recipient) finishedLocked() bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.finished()
}

// finished reports, with rc.mu held, whether the recipient has stopped and
// replied to every inbound message that waited for room, which it refuses
// once it is closing: only then may a stop end (see beginStop).
func (rc *recipient) finished() bool {
	return rc.state == stopped && rc.admitters == 0
}

// endStop ends, with rc.mu held, the stop that waits for the recipient once
// it has finished.
func (rc *recipient) endStop() {
	if rc.idle != nil && rc.finished() {
		close(rc.idle)
	}
}
