package dispatchotel

import (
	"context"
	"fmt"

	"github.com/dispatchgen/dispatchgen/runtime"
	"go.opentelemetry.io/otel/metric"
)

// ObserveMailboxes reports, at each collection, how many messages wait in
// the mailboxes of one dispatcher, whose recipient interface is recipient
// and whose Stats method is stats: in all of them, as the gauge
// dispatch.mailbox.queued, and in the fullest, as
// dispatch.mailbox.queued.max. Since a dispatcher's type is generated, it
// takes the method itself:
//
//	reg, err := dispatchotel.ObserveMailboxes("ToolServer", d.Stats)
//
// Unregister the registration it returns when the dispatcher is closed.
// Only WithMeterProvider, of the options, has effect.
func ObserveMailboxes[K comparable](recipient string, stats func() map[K]runtime.Stats, opts ...Option) (metric.Registration, error) {
	c := newConfig(opts)
	meter := c.meterProvider.Meter(scope)
	queued, err := meter.Int64ObservableGauge("dispatch.mailbox.queued",
		metric.WithUnit("{message}"), metric.WithDescription("Messages queued in the mailboxes of a dispatcher's recipients."))
	if err != nil {
		return nil, fmt.Errorf("dispatchotel: %w", err)
	}
	deepest, err := meter.Int64ObservableGauge("dispatch.mailbox.queued.max",
		metric.WithUnit("{message}"), metric.WithDescription("Messages queued in the fullest mailbox of a dispatcher's recipients."))
	if err != nil {
		return nil, fmt.Errorf("dispatchotel: %w", err)
	}
	attrs := metric.WithAttributes(AttrRecipient.String(recipient))
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var sum, most int
		for _, s := range stats() {
			sum += s.Queued
			most = max(most, s.Queued)
		}
		o.ObserveInt64(queued, int64(sum), attrs)
		o.ObserveInt64(deepest, int64(most), attrs)
		return nil
	}, queued, deepest)
	if err != nil {
		return nil, fmt.Errorf("dispatchotel: %w", err)
	}
	return reg, nil
}
