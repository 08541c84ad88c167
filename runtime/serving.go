package runtime

import goruntime "runtime"

// serveState says who serves a recipient. At most one goroutine serves it
// at any moment, the server: it alone takes messages from the mailbox and
// runs them, and it alone writes the fields of recipient marked as the
// server's. The state changes only under the recipient's mu, in these
// transitions:
//
//	idle      -> serving    a message arrives (commit): a new goroutine, or the
//	                        parked dedicated goroutine, is given the recipient
//	idle      -> inline     a synchronous call that cannot be abandoned finds
//	                        the mailbox empty and runs on its caller (claimInline)
//	lingering -> inline     the same, while the server lingers; the server,
//	                        seeing gen changed, leaves
//	lingering -> serving    a message arrives for the lingering server
//	serving   -> lingering  the server finds the mailbox empty and yields
//	lingering -> serving    the server finds nothing came, and tries again
//	inline    -> serving    the inline call ends with messages queued behind
//	                        it (releaseInline): as idle -> serving
//	serving, inline -> idle the mailbox is empty, the recipient not closing
//	                        (settle)
//	serving, inline, idle -> stopped
//	                        the recipient is closing and nothing is left
//	                        (settle; beginStop, for an idle recipient)
//
// gen changes whenever the recipient is given to a new server, so that a
// lingering goroutine that was passed over knows it. The dedicated goroutine
// of a recipient registered WithDedicatedGoroutine parks, when its recipient
// goes idle, instead of ending; it is woken only when it is given the
// recipient, or when the recipient stops, never while another serves it.
type serveState uint8

const (
	idle serveState = iota
	serving
	lingering
	inline
	stopped
)

// lingerYields is how many times a server yields, finding the mailbox empty,
// before it leaves: a caller that has just had its reply often sends again
// at once, and lingering saves starting a goroutine per message.
const lingerYields = 2

// startServer gives the recipient, with rc.mu held and its state idle or
// inline, to a server of its own, and returns whether the caller must start
// a goroutine for it (go rc.serve) once it has released rc.mu. A parked
// dedicated goroutine is woken instead.
func (rc *recipient) startServer() (spawn bool) {
	rc.state = serving
	rc.gen++
	if rc.parked {
		rc.parked = false
		rc.wake <- struct{}{}
		return false
	}
	return true
}

// claimInline gives the recipient, with rc.mu held, to a synchronous caller
// that will run its call itself, and reports whether it could: only when
// nobody else has a message for it.
func (rc *recipient) claimInline() bool {
	if (rc.state != idle && rc.state != lingering) || rc.q.len() > 0 {
		return false
	}
	rc.state = inline
	rc.gen++
	return true
}

// releaseInline ends an inline caller's turn: what arrived meanwhile goes to
// a server of the recipient's own.
func (rc *recipient) releaseInline() {
	rc.mu.Lock()
	spawn := false
	if rc.q.len() > 0 {
		spawn = rc.startServer()
	} else {
		rc.settle()
	}
	rc.mu.Unlock()
	if spawn {
		go rc.serveFn()
	}
}

// settle marks, with rc.mu held and the mailbox empty, that the server is
// done: the recipient goes idle, or, if it is closing, stops. Either way the
// senders waiting for room are woken, since an empty mailbox has room.
func (rc *recipient) settle() {
	if rc.state == stopped {
		return
	}
	if rc.batch != nil {
		putBuf(rc.batch)
		rc.batch, rc.batchN = nil, 0
	}
	rc.q.settle()
	for i, l := range rc.lanes {
		l.release()
		rc.lanes[i] = nil
	}
	rc.lanes = rc.lanes[:0]
	rc.lastFrom, rc.lastLane = nil, nil
	rc.openRoom()
	if !rc.closing {
		rc.state = idle
		return
	}
	rc.state = stopped
	if rc.parked {
		rc.parked = false
		rc.wake <- struct{}{}
	}
	rc.endStop()
}

// serve is a goroutine that serves the recipient, started by whoever gave it
// the recipient: it handles what is queued, batch by batch, until the
// mailbox stays empty. A dedicated goroutine then parks until it is given the
// recipient again; any other leaves.
func (rc *recipient) serve() {
	s := server{rc: rc}
	defer s.recoverGoexit()
	rc.mu.Lock()
	gen := rc.gen
	yields := 0
	for {
		if rc.take() {
			rc.mu.Unlock()
			s.runBatch()
			rc.mu.Lock()
			yields = 0
			continue
		}
		if rc.closing || yields == lingerYields {
			rc.settle()
			if rc.wake == nil || rc.state == stopped {
				rc.mu.Unlock()
				s.left = true
				return
			}
			if !rc.park() {
				s.left = true
				return
			}
			gen, yields = rc.gen, 0
			continue
		}
		yields++
		rc.state = lingering
		rc.mu.Unlock()
		goruntime.Gosched()
		rc.mu.Lock()
		if rc.gen != gen {
			// An inline caller took the recipient: it is no longer ours.
			rc.mu.Unlock()
			s.left = true
			return
		}
		rc.state = serving
	}
}

// park waits, with rc.mu held on entry, for the dedicated goroutine to be
// given the recipient again, and returns with rc.mu held and true then, or
// with rc.mu released and false once the recipient has stopped.
func (rc *recipient) park() bool {
	rc.parked = true
	rc.mu.Unlock()
	<-rc.wake
	rc.mu.Lock()
	if rc.state == stopped {
		rc.mu.Unlock()
		return false
	}
	return true
}

// take moves, with rc.mu held, everything queued into the server's batch, in
// exchange for the buffer of the batch before, and reports whether there was
// anything.
func (rc *recipient) take() bool {
	clear(rc.batch)
	rc.batch, rc.batchN = rc.q.swap(rc.batch)
	rc.claimed.Store(0)
	rc.ended.Store(0)
	if rc.batchN == 0 {
		return false
	}
	for _, l := range rc.lanes {
		l.turn()
	}
	rc.wakeSenders()
	return true
}

// server is what whoever serves the recipient keeps on its own stack: a
// goroutine of the recipient's, or a synchronous caller running its call
// inline.
type server struct {
	rc *recipient
	// t counts the ended messages that the recipient's counters do not show
	// yet.
	t tally
	// cur is the message, or lane, that handleRun handles, and curAt the
	// position of the message whose method runs while running is set; pe
	// is the panic of that method: see handleRun.
	cur     Message
	curLane laneQueue
	curAt   int
	running bool
	pe      *PanicError
	// left is set when the server leaves the recipient by returning, not
	// by runtime.Goexit.
	left bool
}

// runBatch handles the messages of the batch that the server has not
// started, in order, unless abort takes them.
func (s *server) runBatch() {
	rc := s.rc
	skip := int(rc.claimed.Load() & claimedCount)
	for i := range rc.batch {
		sl := &rc.batch[i]
		k := min(skip, sl.n)
		skip -= k
		l, _ := sl.m.(laneQueue)
		for k < sl.n {
			done, aborted := s.handleRun(sl.m, l, sl.at+k, sl.n-k, true)
			k += done
			if aborted {
				s.flush()
				return
			}
			if s.running {
				s.endRunning(false)
				k++
			}
		}
	}
	s.flush()
}

// flush adds the server's tally to the recipient's counters.
func (s *server) flush() { s.rc.flush(&s.t) }

// recoverGoexit keeps the recipient served after a method, or a callback of
// the user's, called runtime.Goexit on the server's goroutine, which is then
// ending: the message whose method was running ends with a *PanicError that
// wraps ErrGoexit, and a new goroutine takes the recipient over.
func (s *server) recoverGoexit() {
	if s.left {
		return
	}
	s.endGoexit()
	go s.rc.serveRest()
}

// endGoexit ends the message whose method called runtime.Goexit, if it was
// a method, and flushes the tally.
func (s *server) endGoexit() {
	if s.running {
		s.endRunning(true)
	}
	s.flush()
}

// serveRest goes on with the batch that a server left at runtime.Goexit, and
// then serves the recipient as any server does.
func (rc *recipient) serveRest() {
	s := server{rc: rc}
	defer s.recoverGoexit()
	s.runBatch()
	s.left = true
	rc.serve()
}

// runInline handles m on its caller's goroutine, which admit has made the
// recipient's server, and then gives the recipient back. If m's method calls
// runtime.Goexit, the caller's goroutine ends, and the recipient goes on.
func (rc *recipient) runInline(m Message) {
	s := server{rc: rc}
	defer func() {
		if !s.left {
			s.endGoexit()
			rc.releaseInline()
		}
	}()
	if s.handleRun(m, nil, 0, 1, false); s.running {
		s.endRunning(false)
	}
	s.left = true
	rc.releaseInline()
}
