package runtime

import (
	"testing"
	"unsafe"
)

// The groups of a recipient's fields are on cache lines of their own in
// memory, not only as offsets in the struct: the heap places an object at a
// multiple of its size class, so a recipient whose size class is not a
// multiple of a cache line has its groups straddle lines in every other
// object. And what the server writes at every run of messages is on none of
// the lines a sender reads or writes at every message.
func TestRecipientGroupsOnLinesOfTheirOwn(t *testing.T) {
	line := func(p unsafe.Pointer) uintptr { return uintptr(p) / cacheLine }
	keep := make([]*recipient, 64)
	for i := range keep {
		rc := newRecipient(&routerConfig{}, nil, i, nil, recipientConfig{})
		keep[i] = rc
		for _, g := range []struct {
			name string
			p    unsafe.Pointer
		}{
			{"recipientShared", unsafe.Pointer(&rc.recipientShared)},
			{"recipientServed", unsafe.Pointer(&rc.recipientServed)},
			{"recipientLocked", unsafe.Pointer(&rc.recipientLocked)},
		} {
			if off := uintptr(g.p) % cacheLine; off != 0 {
				t.Fatalf("recipient %d: %s starts %d bytes into a cache line (recipient of %d bytes)",
					i, g.name, off, unsafe.Sizeof(*rc))
			}
		}
		// Written by the server once per call or run of one-way messages.
		served := map[uintptr]string{
			line(unsafe.Pointer(&rc.counts)): "counts",
			line(unsafe.Pointer(&rc.out)):    "out",
		}
		// Read or written by a sender at every message.
		for name, p := range map[string]unsafe.Pointer{
			"gone":     unsafe.Pointer(&rc.gone),
			"cfg":      unsafe.Pointer(&rc.cfg),
			"mu":       unsafe.Pointer(&rc.mu),
			"q":        unsafe.Pointer(&rc.q),
			"state":    unsafe.Pointer(&rc.state),
			"accepted": unsafe.Pointer(&rc.accepted),
		} {
			if w, ok := served[line(p)]; ok {
				t.Errorf("recipient %d: %s, which senders use at every message, shares a cache line with %s, which the server writes", i, name, w)
			}
		}
	}
}
