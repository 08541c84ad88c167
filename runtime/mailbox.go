package runtime

import (
	"math/bits"
	"sync"
	"unsafe"
)

// mailbox is a recipient's queue of messages, oldest first. Its zero value is
// an empty queue that holds no buffer, so an idle recipient costs no buffer.
//
// The recipient's server takes everything queued at once, with swap, giving
// back in exchange the buffer of its last batch: one lock per batch, however
// long, leaves senders the lock nearly to themselves. Consecutive messages
// of one lane share a slot, so that a stream of one-way messages costs the
// mailbox a count, not a slot each.
type mailbox struct {
	in []slot
	n  int // messages queued
}

// slot holds a message, or n consecutive messages of the lane m, from its
// position at.
type slot struct {
	m  Message
	n  int
	at int
}

func (q *mailbox) len() int { return q.n }

// push appends m, a call, or the message at position at of the lane m.
func (q *mailbox) push(m Message, at int) {
	q.n++
	if k := len(q.in); k > 0 {
		if last := &q.in[k-1]; sameIface(last.m, m) && last.at+last.n == at {
			last.n++
			return
		}
	}
	if len(q.in) == cap(q.in) {
		q.grow()
	}
	q.in = append(q.in, slot{m: m, n: 1, at: at})
}

// swap takes every queued message as a batch of n messages, and queues from
// now on in done, the buffer of the last batch, whose slots are all zero.
func (q *mailbox) swap(done []slot) (batch []slot, n int) {
	batch, n = q.in, q.n
	if n == 0 {
		return done[:0], 0
	}
	q.in, q.n = done[:0], 0
	return batch, n
}

// settle gives back the buffer of an empty mailbox, when its recipient goes
// idle.
func (q *mailbox) settle() {
	if q.n == 0 && q.in != nil {
		putBuf(q.in)
		q.in = nil
	}
}

// drain removes and returns every queued slot, oldest first; the slots stay
// valid until the next push.
func (q *mailbox) drain() []slot {
	out := q.in
	q.in, q.n = q.in[:0], 0
	return out
}

// grow moves the slots of a full mailbox to a buffer twice the size.
func (q *mailbox) grow() {
	buf := getBuf(max(2*cap(q.in), minBuf))[:len(q.in)]
	copy(buf, q.in)
	clear(q.in)
	putBuf(q.in)
	q.in = buf
}

// minBuf is the size of a mailbox's first buffer, and bufClasses the number
// of buffer sizes, doubling from minBuf, that bufPools keeps.
const (
	minBuf     = 8
	bufClasses = 24
)

// bufPools keeps the buffers of idle mailboxes, by size, so that neither an
// idle recipient holds one nor a busy one allocates one. A buffer is kept as a
// pointer to its first slot, which an interface holds without allocating.
var bufPools [bufClasses]sync.Pool

// bufClass returns the class of buffers of size n, a power of two from
// minBuf, or -1 for sizes the pools do not keep.
func bufClass(n int) int {
	c := bits.Len(uint(n)) - bits.Len(minBuf)
	if n < minBuf || n&(n-1) != 0 || c >= bufClasses {
		return -1
	}
	return c
}

// getBuf returns an empty buffer of size n, a power of two from minBuf.
func getBuf(n int) []slot {
	if c := bufClass(n); c >= 0 {
		if p, ok := bufPools[c].Get().(*slot); ok {
			return unsafe.Slice(p, n)[:0]
		}
	}
	return make([]slot, 0, n)
}

// putBuf gives back buf, whose slots are all zero.
func putBuf(buf []slot) {
	if cap(buf) == 0 {
		return
	}
	if c := bufClass(cap(buf)); c >= 0 {
		bufPools[c].Put(unsafe.SliceData(buf[:cap(buf)]))
	}
}
