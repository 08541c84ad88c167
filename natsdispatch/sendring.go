package natsdispatch

import (
	"sync"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// sendRingSize is how many one-way messages a node remembers, so that a
// refusal can reach the message's Done. A delivered message is never
// acknowledged, so it is remembered until it is overwritten or swept:
// between one and two sweep periods (WithSendWait plus a second), or, at
// more than sendRingSize messages per period, for sendRingSize messages.
const sendRingSize = 1 << 16

// sendRing remembers recent one-way messages by sequence number, with no
// allocation and no timer per message.
type sendRing struct {
	mu    sync.Mutex
	slots []sendSlot // allocated by the first send
	last  uint64     // the last sequence number given out
	swept uint64     // every sequence number below it is forgotten
	mark  uint64     // last at the previous sweep
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

// sweep forgets the messages sent before the previous sweep, so that a
// node that sends little does not keep their arguments alive.
func (r *sendRing) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	from := r.swept
	if r.mark >= sendRingSize {
		// Older slots have been overwritten already.
		from = max(from, r.mark+1-sendRingSize)
	}
	for seq := from; seq <= r.mark && r.slots != nil; seq++ {
		if s := &r.slots[seq%sendRingSize]; s.seq == seq {
			*s = sendSlot{}
		}
	}
	r.swept = r.mark + 1
	r.mark = r.last
}

// clear forgets every message.
func (r *sendRing) clear() {
	r.mu.Lock()
	r.slots = nil
	r.swept = r.last + 1
	r.mark = r.last
	r.mu.Unlock()
}
