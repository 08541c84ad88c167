package runtime

// Stats are one recipient's counters. Every message its mailbox accepted is
// in exactly one of Queued, Handled, Failed and Panics, once its handling has
// ended; a message being handled right now still counts as queued.
type Stats struct {
	// Queued is the number of messages accepted and not yet handled.
	Queued int
	// Handled counts the messages whose method ran and returned, with or
	// without an error.
	Handled uint64
	// Failed counts the messages accepted that ended without their method
	// running: canceled while queued, or failed with ErrClosed.
	Failed uint64
	// Panics counts the messages whose method panicked.
	Panics uint64
	// Rejected counts the sends refused with ErrMailboxFull.
	Rejected uint64
	// HighWater is the most messages the mailbox has held at once.
	HighWater int
}

// result is how the handling of one message ended.
type result uint8

const (
	resHandled result = iota
	resFailed
	resPanicked
)

// tally counts results on the recipient's goroutine between two acquisitions
// of its lock, so that the counters cost no extra synchronization.
type tally struct {
	handled, failed, panics uint64
}

func (t *tally) count(r result) {
	switch r {
	case resHandled:
		t.handled++
	case resFailed:
		t.failed++
	case resPanicked:
		t.panics++
	}
}

func (s *Stats) add(t tally) {
	s.Handled += t.handled
	s.Failed += t.failed
	s.Panics += t.panics
}
