package runtime

// ring is a FIFO queue in a circular buffer that grows by doubling. Its zero
// value is an empty queue that holds no buffer, so an idle recipient costs no
// buffer until its first message.
type ring[T any] struct {
	buf  []T
	head int // index of the oldest element
	n    int // number of elements
}

// minRing is the size of a ring's first buffer.
const minRing = 8

// shrinkAbove is the buffer size above which an idle recipient's ring gives
// its buffer back.
const shrinkAbove = 256

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
}

// pop moves up to len(dst) of the oldest elements into dst and returns how
// many it moved.
func (r *ring[T]) pop(dst []T) int {
	var zero T
	k := min(len(dst), r.n)
	mask := len(r.buf) - 1
	for i := range k {
		dst[i] = r.buf[r.head]
		r.buf[r.head] = zero
		r.head = (r.head + 1) & mask
	}
	r.n -= k
	if r.n == 0 {
		r.head = 0
	}
	return k
}

// shrink gives back a large buffer of an empty ring, so that one burst does
// not pin memory for the recipient's lifetime. It is called when the
// recipient goes idle, not whenever the ring empties, which would cost a
// new buffer per burst of a busy recipient.
func (r *ring[T]) shrink() {
	if r.n == 0 && len(r.buf) > shrinkAbove {
		r.buf = nil
	}
}

// drain removes and returns every element, oldest first.
func (r *ring[T]) drain() []T {
	out := make([]T, r.n)
	r.pop(out)
	return out
}

func (r *ring[T]) grow() {
	size := max(2*len(r.buf), minRing)
	buf := make([]T, size)
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = buf, 0
}
