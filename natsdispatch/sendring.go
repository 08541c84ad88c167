package natsdispatch

import (
	"sync"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// sendRingSize is how many one-way messages a node remembers at first, so
// that a refusal can reach the message's Done. A delivered message is never
// acknowledged, so it is remembered until it is overwritten or swept: once
// the server has confirmed reading it (see confirm.go), between one and two
// sweep periods (WithSendWait plus a second), or, at more than sendRingSize
// messages per period, for sendRingSize messages. A message the server has
// not confirmed is never overwritten: the ring doubles instead, up to
// maxSendRing, and goes back to sendRingSize at a sweep that finds the
// messages it still remembers fit.
const sendRingSize = 1 << 16

// maxSendRing bounds the ring's growth: past it, the oldest unconfirmed
// message is handed to its Done as of unknown delivery, so that a server
// that never answers cannot make a sender's node grow without end.
const maxSendRing = 1 << 20

// anyEpoch, as the current epoch of settle, says that no connection is up:
// every unconfirmed message was sent on one that has dropped.
const anyEpoch = ^uint64(0)

// sendRing remembers recent one-way messages by sequence number, with no
// allocation and no timer per message.
type sendRing struct {
	mu    sync.Mutex
	slots []sendSlot // allocated by the first send; its length a power of two
	last  uint64     // the last sequence number given out
	swept uint64     // every sequence number below it is forgotten
	mark  uint64     // last at the previous sweep
	// confirmed is the last sequence number up to which every message is
	// settled: the server has confirmed reading it, or it was handed to its
	// Done. A message after it may be lost with its connection, so it is
	// kept, whatever its age, until it is settled.
	confirmed uint64
}

type sendSlot struct {
	seq uint64
	// epoch is the connection's reconnection count (nats.Statistics's
	// Reconnects) read before the message was published: a PING answered
	// on a later connection says nothing of it.
	epoch uint64
	c     *runtime.RemoteCall
	link  *link
}

// put remembers c, sent by l on the connection of epoch, and returns its
// sequence number. A message it had to forget while unconfirmed, which
// only a ring of maxSendRing does, is returned with ok true: its delivery
// is unknown.
func (r *sendRing) put(c *runtime.RemoteCall, l *link, epoch uint64) (seq uint64, forgot sendSlot, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.slots == nil {
		r.slots = make([]sendSlot, sendRingSize)
	}
	r.last++
	seq = r.last
	s := r.slot(seq)
	if s.c != nil && s.seq > r.confirmed {
		if len(r.slots) < maxSendRing {
			r.grow()
			s = r.slot(seq)
		} else {
			forgot, ok = *s, true
		}
	}
	*s = sendSlot{seq: seq, epoch: epoch, c: c, link: l}
	return seq, forgot, ok
}

// slot returns, with r.mu held, the slot where seq is or would be.
func (r *sendRing) slot(seq uint64) *sendSlot {
	return &r.slots[seq&uint64(len(r.slots)-1)]
}

// grow doubles the ring, with r.mu held, keeping every message.
func (r *sendRing) grow() {
	old := r.slots
	r.slots = make([]sendSlot, 2*len(old))
	for _, s := range old {
		if s.c != nil {
			*r.slot(s.seq) = s
		}
	}
}

// take removes and returns the message of seq, if it is still remembered.
func (r *sendRing) take(seq uint64) (sendSlot, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.slots == nil {
		return sendSlot{}, false
	}
	s := r.slot(seq)
	if s.seq != seq || s.c == nil {
		return sendSlot{}, false
	}
	taken := *s
	*s = sendSlot{}
	return taken, true
}

// sweep forgets the messages sent before the previous sweep that are
// settled, so that a node that sends little does not keep their arguments
// alive.
func (r *sendRing) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	upTo := min(r.mark, r.confirmed)
	for seq := r.oldest(); seq <= upTo && r.slots != nil; seq++ {
		if s := r.slot(seq); s.seq == seq {
			*s = sendSlot{}
		}
	}
	r.swept = max(r.swept, upTo+1)
	r.mark = r.last
	r.shrink()
}

// shrink gives a ring that grew back its first size, with r.mu held, once
// the messages it still remembers fit in it.
func (r *sendRing) shrink() {
	if len(r.slots) <= sendRingSize || r.last+1-r.oldest() > sendRingSize {
		return
	}
	old, from := r.slots, r.oldest()
	r.slots = make([]sendSlot, sendRingSize)
	for seq := from; seq <= r.last; seq++ {
		if s := old[seq&uint64(len(old)-1)]; s.seq == seq && s.c != nil {
			*r.slot(seq) = s
		}
	}
}

// oldest returns, with r.mu held, the first sequence number that may still
// be remembered: older ones are swept or overwritten.
func (r *sendRing) oldest() uint64 {
	if size := uint64(len(r.slots)); r.last >= size {
		return max(r.swept, r.last+1-size)
	}
	return r.swept
}

// allSettled reports whether every message sent is settled.
func (r *sendRing) allSettled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.confirmed >= r.last
}

// lastSent returns the sequence number of the last message given one.
func (r *sendRing) lastSent() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// settle goes through the unsettled messages up to upTo (at most the last
// one sent), given that current is the epoch of the connection now up, or
// anyEpoch when none is. It removes and returns, in order, those sent on an
// earlier connection, whose delivery is unknown; it settles as read those
// sent on current when read says that the server has answered a PING sent
// on current after them; it keeps the others unsettled.
func (r *sendRing) settle(upTo, current uint64, read bool) []sendSlot {
	r.mu.Lock()
	defer r.mu.Unlock()
	upTo = min(upTo, r.last)
	var taken []sendSlot
	settled := upTo
	for seq := max(r.oldest(), r.confirmed+1); seq <= upTo && r.slots != nil; seq++ {
		s := r.slot(seq)
		switch {
		case s.seq != seq || s.c == nil: // taken by its refusal
		case s.epoch < current:
			taken = append(taken, *s)
			*s = sendSlot{}
		case s.epoch == current && read:
		default:
			settled = min(settled, seq-1)
		}
	}
	r.confirmed = max(r.confirmed, settled)
	return taken
}

// clear forgets every message.
func (r *sendRing) clear() {
	r.mu.Lock()
	r.slots = nil
	r.swept = r.last + 1
	r.mark = r.last
	r.confirmed = r.last
	r.mu.Unlock()
}
