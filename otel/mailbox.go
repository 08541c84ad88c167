package dispatchotel

import (
	"context"
	"fmt"
	"reflect"
	"sync"

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
// The dispatchers observed under one recipient name with one
// MeterProvider are reported together, since their points share their
// attributes: the gauges give the messages of all of them, and the
// fullest mailbox of any.
//
// Unregister the registration it returns when the dispatcher is closed:
// until then the MeterProvider holds stats, and so the dispatcher.
// Only WithMeterProvider, of the options, has effect.
func ObserveMailboxes[K comparable](recipient string, stats func() map[K]runtime.Stats, opts ...Option) (metric.Registration, error) {
	c := newConfig(opts)
	meter := c.meterProvider.Meter(scope)
	src := &mailboxSource{read: func() (sum, most int) {
		for _, s := range stats() {
			sum += s.Queued
			most = max(most, s.Queued)
		}
		return sum, most
	}}
	key := groupKey{meter, recipient}
	if !reflect.TypeOf(meter).Comparable() {
		// A Meter that cannot be a map key gets a group of its own, as
		// an SDK that keeps the last of equal points would report.
		g, err := newMailboxGroup(meter, recipient)
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		g.sources[src] = struct{}{}
		g.mu.Unlock()
		return g.reg, nil
	}
	groups.mu.Lock()
	defer groups.mu.Unlock()
	g := groups.m[key]
	if g == nil {
		var err error
		if g, err = newMailboxGroup(meter, recipient); err != nil {
			return nil, err
		}
		groups.m[key] = g
	}
	g.mu.Lock()
	g.sources[src] = struct{}{}
	g.mu.Unlock()
	return &mailboxRegistration{key: key, g: g, src: src}, nil
}

// mailboxSource is the Stats of one dispatcher ObserveMailboxes observes,
// as the depth of its mailboxes.
type mailboxSource struct{ read func() (sum, most int) }

// mailboxGroup is the dispatchers observed under one recipient name with
// one Meter, and the one callback that reports them.
type mailboxGroup struct {
	mu      sync.Mutex
	sources map[*mailboxSource]struct{}
	reg     metric.Registration
}

// groupKey names a mailboxGroup.
type groupKey struct {
	meter     metric.Meter
	recipient string
}

// groups is every mailboxGroup with a dispatcher observed.
var groups = struct {
	mu sync.Mutex
	m  map[groupKey]*mailboxGroup
}{m: map[groupKey]*mailboxGroup{}}

func newMailboxGroup(meter metric.Meter, recipient string) (*mailboxGroup, error) {
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
	g := &mailboxGroup{sources: map[*mailboxSource]struct{}{}}
	g.reg, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		g.mu.Lock()
		sources := make([]*mailboxSource, 0, len(g.sources))
		for s := range g.sources {
			sources = append(sources, s)
		}
		g.mu.Unlock()
		// Stats is read outside the lock, so that a slow one holds up
		// no ObserveMailboxes or Unregister.
		var sum, most int
		for _, s := range sources {
			n, m := s.read()
			sum += n
			most = max(most, m)
		}
		o.ObserveInt64(queued, int64(sum), attrs)
		o.ObserveInt64(deepest, int64(most), attrs)
		return nil
	}, queued, deepest)
	if err != nil {
		return nil, fmt.Errorf("dispatchotel: %w", err)
	}
	return g, nil
}

// mailboxRegistration is the registration of one dispatcher in its group.
type mailboxRegistration struct {
	metric.Registration // for the embedded interface the API requires
	key                 groupKey
	g                   *mailboxGroup
	src                 *mailboxSource
	once                sync.Once
}

// Unregister stops observing the dispatcher, and the group with its last
// dispatcher.
func (r *mailboxRegistration) Unregister() error {
	var err error
	r.once.Do(func() {
		groups.mu.Lock()
		defer groups.mu.Unlock()
		r.g.mu.Lock()
		delete(r.g.sources, r.src)
		last := len(r.g.sources) == 0
		r.g.mu.Unlock()
		if last {
			delete(groups.m, r.key)
			err = r.g.reg.Unregister()
		}
	})
	return err
}
