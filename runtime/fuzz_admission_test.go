package runtime_test

// front returns the place in w's mailbox of the hold that blocks it: the
// first one not released, and, under WithStopOnPanic, ahead of the message
// that will stop the recipient or that message itself; -1 if none does. Its method has started
// (the model waits for that), so everything ahead of it has ended and
// everything behind it has certainly not started.
func (m *fzRun) front(w *fzWorker) int {
	for i, it := range w.items {
		if it.hold != nil && !it.hold.released && !it.aborted && (it.got == 0 || it.hold.waiting()) {
			return i
		}
		if it == w.doom {
			// The doom stops the recipient once it runs, so nothing behind it
			// blocks; a doom that is itself held (an interceptor that panics
			// after its stuck method) blocks until its gate opens, above.
			break
		}
	}
	return -1
}

// waiting reports whether the hold's method waits at its gate. It blocks
// its recipient, and takes its place in the mailbox, until the gate opens,
// even once its caller has stopped waiting for it: a method that ignores
// its context is not stopped by its caller's.
func (h *fzHold) waiting() bool {
	select {
	case <-h.started:
		return !h.opened
	default:
		return false
	}
}

// behind reports whether it is certainly queued: accepted behind a hold.
func (m *fzRun) behind(it *fzItem) bool {
	if it.w == nil {
		return false
	}
	f := m.front(it.w)
	return f >= 0 && it.pos > f
}

// serverEnded reports whether the recipient is done with it: a call's
// caller has the recipient's result, or a one-way message's method has
// returned with no dead letter to deliver.
func (m *fzRun) serverEnded(it *fzItem) bool {
	if it.kind != fzKindTell {
		return it.got == fzRan
	}
	if expectsDeadLetter(it.msg) {
		return false
	}
	r := m.tr.record(it.id)
	return r.exited && len(r.dead) == 0
}

// occupancy returns bounds of the room w's messages take in its mailbox:
// lo counts those certainly queued or running (the blocking hold and
// everything behind it), hi those that have not certainly ended. A message
// the recipient is done with takes no room, and neither does any message
// ahead of it in the mailbox, since the recipient is done with those too.
func (m *fzRun) occupancy(w *fzWorker) (lo, hi int) {
	if f := m.front(w); f >= 0 {
		lo = len(w.items) - f
	}
	last := -1
	for i := len(w.items) - 1; i >= 0; i-- {
		if m.serverEnded(w.items[i]) {
			last = i
			break
		}
	}
	hi = len(w.items) - (last + 1)
	switch {
	case last < 0 || hi == len(w.items):
	case fzAvoids("room-after-end"):
		hi++
	case w.items[last].kind == fzKindTell:
		// The tracker sees a one-way method return before the runtime
		// does: the server leaves its room once it starts its next
		// message, or publishes its counts, which nothing here waits for.
		hi++
	}
	return lo, hi
}

// fzAdmit is what the model says a mailbox does with a message sent now.
type fzAdmit uint8

// admission says what w's mailbox does with it, sent now. A sender finds
// room unless the mailbox is certainly full, and may find none only while
// the messages that have not certainly ended would fill it. A one-way
// message whose context has ended is not accepted.
func (m *fzRun) admission(w *fzWorker, it *fzItem) fzAdmit {
	switch {
	case m.closed:
		it.allow = fzClosed
		return fzRefuse
	case w == nil:
		it.allow = fzNoRecipient
		return fzRefuse
	case it.kind == fzKindTell && it.ctxDone:
		it.allow = fzCanceled
		return fzRefuse
	case w.stopOnPanic && it.poisons() && it.ctxEnds && it.kind != fzKindTell:
		// Whether it runs, and stops the recipient, is a matter of timing.
		return fzSkip
	case w.size == 0:
		return fzAccept
	}
	lo, hi := m.occupancy(w)
	ends := it.ctxDone || it.ctxEnds
	switch {
	case hi < w.size:
		return fzAccept
	case lo >= w.size && w.failFast:
		it.allow = fzFull
		return fzRefuse
	case lo >= w.size && ends:
		// It waits for room until its context ends.
		it.allow = fzCanceled
		return fzRefuse
	case lo >= w.size:
		return fzSkip
	case w.failFast:
		return fzFullOrAccept
	case ends && it.kind != fzKindTell:
		// Whether it is accepted before its context ends is a matter of
		// timing, and its outcome would not tell.
		return fzSkip
	}
	return fzAccept
}

// accept records that w's mailbox accepted it, and what it may end with.
func (m *fzRun) accept(it *fzItem, w *fzWorker) {
	it.w, it.pos = w, len(w.items)
	w.items = append(w.items, it)
	m.items = append(m.items, it)
	m.pending = append(m.pending, it)
	ctxMayEnd := it.kind != fzKindTell && (it.ctxDone || it.ctxEnds)
	switch {
	case w.doom != nil:
		// Queued behind the message that will stop the recipient.
		it.allow, it.aborted = fzClosed, true
		if ctxMayEnd {
			it.allow |= fzCanceled
		}
	case it.ctxDone && it.kind != fzKindTell:
		it.allow = fzCanceled
	case ctxMayEnd:
		it.allow = fzRan | fzCanceled
	default:
		it.allow = fzRan
	}
	if w.stopOnPanic && it.poisons() && it.allow&fzRan != 0 && !ctxMayEnd && w.doom == nil {
		if m.front(w) >= 0 {
			w.doom = it
		} else {
			m.dooms = append(m.dooms, it)
		}
	}
}

// refuse records that no mailbox accepted it.
func (m *fzRun) refuse(it *fzItem, w *fzWorker) {
	if it.allow&fzFull != 0 && w != nil {
		w.rejected++
	}
	m.items = append(m.items, it)
	m.pending = append(m.pending, it)
}
