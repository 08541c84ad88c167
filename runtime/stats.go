package runtime

// Stats are one recipient's counters. Every message its mailbox accepted is
// in exactly one of Queued, Handled, Failed and Panics; a message being
// handled right now counts as queued, and a call is counted as ended, with
// every message the recipient handled before it, before its caller has its
// result; a one-way message may count as queued until the recipient has
// handled up to 31 more. A call run by its caller on an idle recipient counts
// the same way. The counters are read one by one, so a snapshot taken while
// messages flow may be off by the messages that ended while it was taken.
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
