package natsdispatch

import (
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// ringPut puts n messages, each with a RemoteCall of its own, and returns
// their sequence numbers.
func ringPut(r *sendRing, n int) []uint64 {
	seqs := make([]uint64, n)
	for i := range seqs {
		seqs[i] = r.put(&runtime.RemoteCall{Method: "Note"}, nil)
	}
	return seqs
}

// A message the server has not confirmed reading outlives any number of
// sweeps, so that a connection that drops can still hand it to its Done;
// once confirmed, two sweeps forget it.
func TestSendRingSweepsOnlyConfirmedMessages(t *testing.T) {
	var r sendRing
	seqs := ringPut(&r, 3)
	r.sweep()
	r.sweep()
	r.sweep()
	if _, ok := r.take(seqs[0]); !ok {
		t.Fatal("an unconfirmed message was swept")
	}
	r.confirm(seqs[1])
	r.sweep()
	r.sweep()
	if _, ok := r.take(seqs[1]); ok {
		t.Error("a confirmed message outlived two sweeps")
	}
	got := r.takeUnconfirmed()
	if len(got) != 1 || got[0].seq != seqs[2] {
		t.Fatalf("takeUnconfirmed = %d messages, want only the unconfirmed %d", len(got), seqs[2])
	}
	if _, ok := r.take(seqs[2]); ok {
		t.Error("a message takeUnconfirmed returned can still be taken")
	}
	if got := r.takeUnconfirmed(); len(got) != 0 {
		t.Errorf("a second takeUnconfirmed returned %d messages", len(got))
	}
}

// takeUnconfirmed returns the messages after the last confirmation in
// order, skips the taken (refused) ones, and stops at what the ring has
// overwritten.
func TestSendRingTakeUnconfirmed(t *testing.T) {
	var r sendRing
	seqs := ringPut(&r, 10)
	r.confirm(seqs[3])
	r.take(seqs[6])
	got := r.takeUnconfirmed()
	want := []uint64{seqs[4], seqs[5], seqs[7], seqs[8], seqs[9]}
	if len(got) != len(want) {
		t.Fatalf("takeUnconfirmed = %d messages, want %d", len(got), len(want))
	}
	for i, s := range got {
		if s.seq != want[i] || s.c == nil {
			t.Errorf("message %d: seq %d (call %v), want %d", i, s.seq, s.c != nil, want[i])
		}
	}

	ringPut(&r, sendRingSize+5)
	if got := r.takeUnconfirmed(); len(got) != sendRingSize {
		t.Errorf("after %d more messages, takeUnconfirmed = %d, want the ring's %d", sendRingSize+5, len(got), sendRingSize)
	}
}
