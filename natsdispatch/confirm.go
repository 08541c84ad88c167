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
//
// A PING confirms only the messages sent on the connection that answers
// it. So each message carries its connection's epoch, nats.go's count of
// reconnections when it was published: a drop and a reconnection that fall
// between a message and the PING after it, however quickly nats.go comes
// back, leave the message of an earlier epoch, and so unknown, while those
// sent on the new connection stay to be confirmed by the next PING.

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
	// While a burst gathers, the token is left where senders find it, so
	// that wantConfirm costs them no lock.
	want, gathered := o.unconfirmed, (<-chan time.Time)(nil)
	for {
		select {
		case <-n.done:
			return
		case _, ok := <-status:
			if !ok {
				status = nil // only RemoveStatusListener closes it
				continue
			}
			o.dropped(n)
		case <-want:
			want, gathered = nil, gather.C
			gather.Reset(confirmDelay)
		case <-gathered:
			want, gathered = o.unconfirmed, nil
			o.confirmRead(n.ctx, n)
		}
	}
}

// confirmRead sends a PING and, once the server has answered it on the
// connection it went out on, settles the messages sent before it on that
// connection as read, and those sent on an earlier one as unknown. It
// reports whether the server answered.
func (o *outbound) confirmRead(ctx context.Context, n *Node) bool {
	// No sender is between its message's place in the ring and its
	// publication: every message up to upTo is ahead of the PING.
	o.publishing.Lock()
	epoch := n.nc.Stats().Reconnects
	upTo := o.sends.lastSent()
	o.publishing.Unlock()
	ctx, cancel := context.WithTimeout(ctx, confirmTimeout)
	err := n.nc.FlushWithContext(ctx)
	cancel()
	switch {
	case n.nc.Stats().Reconnects != epoch:
		// The answer may have come on a new connection.
		o.dropped(n)
	case err == nil:
		o.handOver(o.sends.settle(upTo, epoch, true), errConfirmDropped)
		return true
	case n.nc.IsClosed():
		o.dropped(n)
	default:
		o.wantConfirm()
	}
	return false
}

// dropped hands the one-way messages that the server has not confirmed
// reading, and that went out on a connection that has since dropped, to
// their Done. Those sent on the connection now up, if one is, stay to be
// confirmed.
func (o *outbound) dropped(n *Node) {
	current := anyEpoch
	if n.nc.Status() == nats.CONNECTED {
		current = n.nc.Stats().Reconnects
	}
	o.handOver(o.sends.settle(anyEpoch, current, false), errConfirmDropped)
}

// confirmBeforeClose has the server confirm, within ctx, the one-way
// messages sent so far, if the connection is up.
func (o *outbound) confirmBeforeClose(ctx context.Context, n *Node) {
	if n.nc.Status() == nats.CONNECTED {
		o.confirmRead(ctx, n)
	}
}

// settleAtClose has the server confirm, within ctx, the one-way messages
// sent since confirmBeforeClose, if any were, and hands those it did not
// confirm to their Done: once the node has closed, nothing would.
func (o *outbound) settleAtClose(ctx context.Context, n *Node) {
	if !o.sends.allSettled() {
		o.confirmBeforeClose(ctx, n)
	}
	o.handOver(o.sends.settle(anyEpoch, anyEpoch, false), errConfirmClosed)
}

// Why the delivery of a one-way message is unknown; both wrap
// nats.ErrDisconnected, the mark of an unknown delivery.
var (
	errConfirmDropped = fmt.Errorf("the connection to the NATS server dropped before the server confirmed reading the message, so whether it was delivered is unknown: %w", nats.ErrDisconnected)
	errConfirmClosed  = fmt.Errorf("the node closed before the server confirmed reading the message, so whether it was delivered is unknown: %w", nats.ErrDisconnected)
	errConfirmTooMany = fmt.Errorf("more one-way messages than the node can remember (%d) were waiting for the server to confirm reading them, so whether the oldest was delivered is unknown: %w", maxSendRing, nats.ErrDisconnected)
)

// handOver gives each message of slots to its Done, with why.
func (o *outbound) handOver(slots []sendSlot, why error) {
	for _, s := range slots {
		s.c.Done(fmt.Errorf("natsdispatch: %s[%q].%s: %w", s.link.iface, s.c.Key, s.c.Method, why))
	}
}
