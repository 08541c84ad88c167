package runtime

// ring is a recipient's mailbox: a FIFO queue of messages in a circular
// buffer that grows by doubling. Its zero value is an empty queue that holds
// no buffer, so an idle recipient costs no buffer until its first message.
//
// The free slots of the buffer hold spares: one-way messages that have been
// handled and reset, for senders to reuse. The recipient's goroutine puts
// each message it has handled back in a slot it popped, under the lock it
// takes anyway to pop the next batch, and a sender takes the spare from the
// slot it pushes to, under the lock it takes anyway to push. Messages thus
// go round the buffer instead of through sync.Pool, which sends each message
// across cores through its shared queues whenever sender and recipient run on
// different threads, and costs more than the rest of a send.
type ring struct {
	buf  []Message
	head int // index of the oldest message
	n    int // number of messages
	// spares counts the free slots that hold a spare.
	spares int
	// gen changes whenever buf is replaced, which makes the slots that a
	// pop reported meaningless.
	gen int
}

// minRing is the size of a ring's first buffer.
const minRing = 8

// shrinkAbove is the buffer size above which an idle recipient's ring gives
// its buffer back.
const shrinkAbove = 256

func (r *ring) len() int { return r.n }

// tail returns the slot the next push writes.
func (r *ring) tail() *Message {
	return &r.buf[(r.head+r.n)&(len(r.buf)-1)]
}

// push appends m. A spare in its slot, of a type its sender did not take,
// goes back to its pool.
func (r *ring) push(m Message) {
	if r.n == len(r.buf) {
		r.grow()
	}
	slot := r.tail()
	if s := *slot; s != nil {
		r.spares--
		s.hdr().pool.keep(s)
	}
	*slot = m
	r.n++
}

// pop moves up to len(dst) of the oldest messages into dst. It returns how
// many it moved, and where they were, for keep.
func (r *ring) pop(dst []Message) (k int, at slots) {
	k = min(len(dst), r.n)
	at = slots{from: r.head, gen: r.gen}
	mask := len(r.buf) - 1
	for i := range k {
		dst[i] = r.buf[r.head]
		r.buf[r.head] = nil
		r.head = (r.head + 1) & mask
	}
	r.n -= k
	return k, at
}

// slots tells where a pop took its messages from.
type slots struct {
	from, gen int
}

// keep puts the handled and reset one-way messages of spent in the slots at
// which a pop found them, as spares, and gives back to their pools those
// whose slot holds a message again. It clears spent.
func (r *ring) keep(at slots, spent []Message) {
	mask := len(r.buf) - 1
	for j, m := range spent {
		i := (at.from + j) & mask
		if at.gen == r.gen && (i-r.head)&mask >= r.n && r.buf[i] == nil {
			r.buf[i] = m
			r.spares++
		} else {
			m.hdr().pool.keep(m)
		}
	}
	clear(spent)
}

// takeSpare removes and returns the spare in the slot that the next push
// writes, if there is one of type PM.
func takeSpare[PM Message](r *ring) (PM, bool) {
	var zero PM
	if r.spares == 0 || r.n == len(r.buf) {
		return zero, false
	}
	slot := r.tail()
	m, ok := (*slot).(PM)
	if !ok {
		return zero, false
	}
	*slot = nil
	r.spares--
	return m, true
}

// settle gives the spares of an empty ring back to their pools, and its
// buffer too if it is large, so that one burst does not pin memory for the
// recipient's lifetime. It is called when the recipient goes idle, not
// whenever the ring empties, which would cost a new buffer per burst of a
// busy recipient.
func (r *ring) settle() {
	if r.n != 0 {
		return
	}
	if r.spares > 0 {
		for i, s := range r.buf {
			if s != nil {
				s.hdr().pool.keep(s)
				r.buf[i] = nil
			}
		}
		r.spares = 0
	}
	r.head = 0
	if len(r.buf) > shrinkAbove {
		r.buf = nil
		r.gen++
	}
}

// drain removes and returns every message, oldest first.
func (r *ring) drain() []Message {
	out := make([]Message, r.n)
	r.pop(out)
	return out
}

// grow doubles the buffer of a full ring, which holds no spares.
func (r *ring) grow() {
	size := max(2*len(r.buf), minRing)
	buf := make([]Message, size)
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = buf, 0
	r.gen++
}
