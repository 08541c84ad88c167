package natsdispatch

import (
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// ringPut puts n messages sent on the connection of epoch, each with a
// RemoteCall of its own, and returns their sequence numbers.
func ringPut(t *testing.T, r *sendRing, n int, epoch uint64) []uint64 {
	t.Helper()
	seqs := make([]uint64, n)
	for i := range seqs {
		seq, _, forgot := r.put(&runtime.RemoteCall{Method: "Note"}, nil, epoch)
		if forgot {
			t.Fatalf("put of message %d forgot an unconfirmed one", seq)
		}
		seqs[i] = seq
	}
	return seqs
}

// seqsOf returns the sequence numbers of slots.
func seqsOf(slots []sendSlot) []uint64 {
	seqs := make([]uint64, len(slots))
	for i, s := range slots {
		seqs[i] = s.seq
	}
	return seqs
}

func sameSeqs(got, want []uint64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// A message the server has not confirmed reading outlives any number of
// sweeps, so that a connection that drops can still hand it to its Done;
// once confirmed, two sweeps forget it.
func TestSendRingSweepsOnlyConfirmedMessages(t *testing.T) {
	var r sendRing
	seqs := ringPut(t, &r, 3, 0)
	r.sweep()
	r.sweep()
	r.sweep()
	if _, ok := r.take(seqs[0]); !ok {
		t.Fatal("an unconfirmed message was swept")
	}
	if got := r.settle(seqs[1], 0, true); len(got) != 0 {
		t.Fatalf("a confirmation handed over %v", seqsOf(got))
	}
	r.sweep()
	r.sweep()
	if _, ok := r.take(seqs[1]); ok {
		t.Error("a confirmed message outlived two sweeps")
	}
	if got := r.settle(anyEpoch, anyEpoch, false); !sameSeqs(seqsOf(got), seqs[2:]) {
		t.Fatalf("settled with no connection up = %v, want only the unconfirmed %v", seqsOf(got), seqs[2:])
	}
	if _, ok := r.take(seqs[2]); ok {
		t.Error("a message settle returned can still be taken")
	}
	if got := r.settle(anyEpoch, anyEpoch, false); len(got) != 0 {
		t.Errorf("a second settle returned %v", seqsOf(got))
	}
}

// With no connection up, settle returns the messages after the last
// confirmation in order and skips the taken (refused) ones.
func TestSendRingSettleWithNoConnection(t *testing.T) {
	var r sendRing
	seqs := ringPut(t, &r, 10, 0)
	r.settle(seqs[3], 0, true)
	r.take(seqs[6])
	got := seqsOf(r.settle(anyEpoch, anyEpoch, false))
	want := []uint64{seqs[4], seqs[5], seqs[7], seqs[8], seqs[9]}
	if !sameSeqs(got, want) {
		t.Fatalf("settle = %v, want %v", got, want)
	}
}

// A PING answered on a connection confirms only what was sent on it: the
// messages of an earlier connection are handed over however the PING falls,
// and those of the connection now up are kept by a drop's settle until a
// PING confirms them.
func TestSendRingSettlesByConnection(t *testing.T) {
	var r sendRing
	old := ringPut(t, &r, 3, 4)
	cur := ringPut(t, &r, 2, 5)
	old = append(old, ringPut(t, &r, 1, 4)...) // read its epoch before the reconnection, put after

	// The connection of epoch 4 dropped; 5 is up.
	if got := seqsOf(r.settle(anyEpoch, 5, false)); !sameSeqs(got, old) {
		t.Fatalf("a drop's settle with epoch 5 up = %v, want those of epoch 4 %v", got, old)
	}
	if r.confirmed != cur[0]-1 {
		t.Errorf("confirmed = %d after the drop, want %d, before the first kept message", r.confirmed, cur[0]-1)
	}
	late := ringPut(t, &r, 1, 5)
	if got := r.settle(cur[1], 5, true); len(got) != 0 {
		t.Fatalf("a PING on epoch 5 handed over %v", seqsOf(got))
	}
	if r.confirmed != cur[1] {
		t.Errorf("confirmed = %d after the PING, want %d", r.confirmed, cur[1])
	}
	for _, seq := range cur {
		if _, ok := r.take(seq); !ok {
			t.Errorf("confirmed message %d is no longer remembered, for its refusal", seq)
		}
	}

	// A drop and reconnection inside one gathering: the PING is answered on
	// epoch 6, which sent nothing yet.
	if got := seqsOf(r.settle(anyEpoch, 6, true)); !sameSeqs(got, late) {
		t.Fatalf("a PING on epoch 6 handed over %v, want the unconfirmed message of epoch 5 %v", got, late)
	}
}

// An unconfirmed message is never overwritten: the ring grows, and past
// maxSendRing hands the oldest over.
func TestSendRingGrowsRatherThanForget(t *testing.T) {
	var r sendRing
	seqs := ringPut(t, &r, sendRingSize+5, 0)
	if len(r.slots) != 2*sendRingSize {
		t.Errorf("the ring holds %d slots after %d unconfirmed messages, want %d", len(r.slots), len(seqs), 2*sendRingSize)
	}
	if got := r.settle(anyEpoch, anyEpoch, false); !sameSeqs(seqsOf(got), seqs) {
		t.Errorf("settle returned %d messages, want all %d", len(got), len(seqs))
	}
	// Confirmed messages are overwritten, with no growth.
	ringPut(t, &r, 2*sendRingSize, 1)
	r.settle(anyEpoch, 1, true)
	ringPut(t, &r, 2*sendRingSize, 1)
	if len(r.slots) != 2*sendRingSize {
		t.Errorf("the ring grew to %d slots over confirmed messages", len(r.slots))
	}
}

// Past maxSendRing unconfirmed messages, put returns the oldest, for its
// Done, and the ring stops growing.
func TestSendRingForgetsPastItsBound(t *testing.T) {
	if testing.Short() {
		t.Skip("puts a million messages")
	}
	var r sendRing
	first := ringPut(t, &r, maxSendRing, 0)
	seq, forgot, ok := r.put(&runtime.RemoteCall{Method: "Note"}, nil, 0)
	if !ok || forgot.seq != first[0] || forgot.c == nil {
		t.Fatalf("put %d past the bound forgot %d (%v), want the oldest, %d", seq, forgot.seq, ok, first[0])
	}
	if len(r.slots) != maxSendRing {
		t.Errorf("the ring holds %d slots, past its bound %d", len(r.slots), maxSendRing)
	}
}

// A ring that grew while messages waited for their confirmation goes back
// to sendRingSize once they are settled and swept, keeping the messages it
// still remembers, so that one long partition does not hold its memory for
// the rest of the node's life.
func TestSendRingShrinksOnceSettled(t *testing.T) {
	var r sendRing
	ringPut(t, &r, 3*sendRingSize, 1)
	if len(r.slots) != 4*sendRingSize {
		t.Fatalf("the ring holds %d slots, want %d", len(r.slots), 4*sendRingSize)
	}
	r.settle(anyEpoch, 1, true)
	r.sweep()
	kept := ringPut(t, &r, 10, 1)
	r.sweep() // forgets what was confirmed before the previous sweep
	if len(r.slots) != sendRingSize {
		t.Fatalf("the ring holds %d slots once its messages are settled and swept, want %d", len(r.slots), sendRingSize)
	}
	for _, seq := range kept {
		if _, ok := r.take(seq); !ok {
			t.Errorf("message %d, sent after the sweep, was lost when the ring shrank", seq)
		}
	}
	// It grows again when it must.
	ringPut(t, &r, sendRingSize+1, 2)
	if len(r.slots) != 2*sendRingSize {
		t.Errorf("the ring holds %d slots after %d unconfirmed messages, want %d", len(r.slots), sendRingSize+1, 2*sendRingSize)
	}
}
