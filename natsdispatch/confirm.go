package natsdispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// A one-way message is never acknowledged, yet it can be lost unseen: one
// published while the connection looks healthy, but after its socket has
// failed, goes to the dead socket or into a buffer that nats.go drops if it
// never reconnects. So the node asks the server, with a PING, to confirm
// that it has read the messages sent so far (the server answers a PING only
// once it has routed every message before it), and when the connection
// drops, the messages not yet confirmed reach their Done, and so the
// dead-letter handler, with an error that says their delivery is unknown.

// confirmDelay is how long the messages of a burst gather behind one PING:
// while one-way messages flow, the node sends a PING this often, and a
// connection that drops leaves about this long of them unknown.
const confirmDelay = 10 * time.Millisecond

// confirmTimeout bounds the wait for a PING's answer; a PING not answered
// in time confirms nothing, and another follows.
const confirmTimeout = 2 * time.Second

// wantConfirm asks the confirming goroutine to have the server confirm the
// messages sent so far. It costs a sender one failed channel send while a
// confirmation is already due.
func (o *outbound) wantConfirm() {
	select {
	case o.unconfirmed <- struct{}{}:
	default:
	}
}

// confirmSends is the goroutine that has the server confirm the one-way
// messages sent, and that hands those it never confirmed to their Done
// when the connection drops (status reports it).
func (o *outbound) confirmSends(n *Node, status <-chan nats.Status) {
	defer n.wg.Done()
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case <-n.done:
			return
		case _, ok := <-status:
			if !ok {
				status = nil // only RemoveStatusListener closes it
				continue
			}
			o.dropped()
		case <-o.unconfirmed:
			gather.Reset(confirmDelay)
			select {
			case <-n.done:
				return
			case <-gather.C:
			}
			o.confirmRead(n)
		}
	}
}

// confirmRead sends a PING and, once the server has answered it on the
// connection the messages went out on, records them as read.
func (o *outbound) confirmRead(n *Node) {
	before := n.nc.Stats().Reconnects
	upTo := o.sends.lastSent()
	ctx, cancel := context.WithTimeout(n.ctx, confirmTimeout)
	err := n.nc.FlushWithContext(ctx)
	cancel()
	switch {
	case n.nc.Stats().Reconnects != before:
		// The answer may have come on a new connection, and what went out
		// on the old one may be lost.
		o.dropped()
	case err == nil:
		o.sends.confirm(upTo)
	case n.nc.IsClosed():
		o.dropped()
	default:
		o.wantConfirm()
	}
}

// dropped hands the one-way messages that the server has not confirmed
// reading to their Done: the connection they went out on has dropped.
func (o *outbound) dropped() {
	for _, s := range o.sends.takeUnconfirmed() {
		s.c.Done(fmt.Errorf("natsdispatch: %s[%q].%s: the connection to the NATS server dropped before the server confirmed reading the message, so whether it was delivered is unknown: %w",
			s.link.iface, s.c.Key, s.c.Method, nats.ErrDisconnected))
	}
}
