package runtime

import (
	"context"
	"testing"
)

// A message from another process that finds its recipient's mailbox full
// waits, first come first, for room: what it costs to hold, beyond the
// message itself, is one allocation, for a one-way message and for a call,
// so that a burst that outruns its recipient does not add garbage per
// message. The messages here wait behind a recipient held in a message of
// its own; they are let go, and run, when the test ends.
func TestInboundWaitingCostsOneAllocation(t *testing.T) {
	for _, k := range advKinds {
		t.Run(k.name, func(t *testing.T) {
			_, to, log := advSetup(t, nil, WithMailboxSize(1))
			unhold := advHold(t, to, log, "held")
			defer unhold()
			var lane Lane[advNote]
			in := &Inbound{Ctx: context.Background(), Key: "k", Method: "Note", OneWay: true, Reply: func(any, error) {}}
			if k.kind == orderCall {
				in.Method, in.OneWay = "Call", false
			}
			serve := func() {
				if k.kind == orderCall {
					ServeCall(to, &advCall{name: "waits"}, in)
				} else {
					ServeSend(to, &lane, advNote{name: "waits"}, in)
				}
			}
			serve() // the first to wait starts the goroutine that admits them
			allocs := testing.AllocsPerRun(200, serve)
			want := 1.0
			if k.kind == orderCall {
				want = 2 // and the call itself, which a Pool would hold
			}
			if allocs > want+0.1 { // the queue's growth, shared among many
				t.Errorf("a waiting %s costs %.2f allocations, want %v", k.name, allocs, want)
			}
		})
	}
}
