package natsdispatch

import (
	"sync"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// sendRingSize is how many one-way messages a node remembers, so that a
// refusal can reach the message's Done. A delivered message is never
// acknowledged, so it is remembered until it is overwritten or swept: once
// the server has confirmed reading it (see confirm.go), between one and two
// sweep periods (WithSendWait plus a second), or, at more than sendRingSize
// messages per period, for sendRingSize messages.
const sendRingSize = 1 << 16

// sendRing remembers recent one-way messages by sequence number, with no
// allocation and no timer per message.
type sendRing struct {
	mu    sync.Mutex
	slots []sendSlot // allocated by the first send
	last  uint64     // the last sequence number given out
	swept uint64     // every sequence number below it is forgotten
	mark  uint64     // last at the previous sweep
	// confirmed is the last sequence number that the server has confirmed
	// reading: a message after it may be lost with the connection, so it
	// is kept, whatever its age, until it is confirmed or overwritten.
	confirmed uint64
}

type sendSlot struct {
	seq  uint64
	c    *runtime.RemoteCall
	link *link
}

func (r *sendRing) put(c *runtime.RemoteCall, l *link) uint64 {
	r.mu.Lock()
	if r.slots == nil {
		r.slots = make([]sendSlot, sendRingSize)
	}
	r.last++
	seq := r.last
	r.slots[seq%sendRingSize] = sendSlot{seq: seq, c: c, link: l}
	r.mu.Unlock()
	return seq
}

// take removes and returns the message of seq, if it is still remembered.
func (r *sendRing) take(seq uint64) (sendSlot, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.slots == nil {
		return sendSlot{}, false
	}
	s := &r.slots[seq%sendRingSize]
	if s.seq != seq || s.c == nil {
		return sendSlot{}, false
	}
	taken := *s
	*s = sendSlot{}
	return taken, true
}

// sweep forgets the messages sent before the previous sweep that the
// server has confirmed reading, so that a node that sends little does not
// keep their arguments alive.
func (r *sendRing) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	upTo := min(r.mark, r.confirmed)
	for seq := r.oldest(); seq <= upTo && r.slots != nil; seq++ {
		if s := &r.slots[seq%sendRingSize]; s.seq == seq {
			*s = sendSlot{}
		}
	}
	r.swept = max(r.swept, upTo+1)
	r.mark = r.last
}

// oldest returns, with r.mu held, the first sequence number that may still
// be remembered: older ones are swept or overwritten.
func (r *sendRing) oldest() uint64 {
	if r.last >= sendRingSize {
		return max(r.swept, r.last+1-sendRingSize)
	}
	return r.swept
}

// lastSent returns the sequence number of the last message given one.
func (r *sendRing) lastSent() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// confirm records that the server has read every message up to seq.
func (r *sendRing) confirm(seq uint64) {
	r.mu.Lock()
	r.confirmed = max(r.confirmed, seq)
	r.mu.Unlock()
}

// takeUnconfirmed removes and returns, in order, the messages still
// remembered that the server has not confirmed reading.
func (r *sendRing) takeUnconfirmed() []sendSlot {
	r.mu.Lock()
	defer r.mu.Unlock()
	var taken []sendSlot
	for seq := max(r.oldest(), r.confirmed+1); seq <= r.last && r.slots != nil; seq++ {
		if s := &r.slots[seq%sendRingSize]; s.seq == seq && s.c != nil {
			taken = append(taken, *s)
			*s = sendSlot{}
		}
	}
	r.confirmed = r.last
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
