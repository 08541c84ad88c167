package natsdispatch

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go/micro"
)

// serviceVersion is the version of the wire protocol, which every service
// reports.
const serviceVersion = "1.0.0"

// maxListedKeys bounds the keys a service lists in its stats, so that its
// answer fits in a message however many keys it holds.
const maxListedKeys = 1000

// serviceData is what a dispatcher's service reports in its stats, and
// answers on its endpoint.
type serviceData struct {
	Node       string `json:"node"`
	Recipients int    `json:"recipients"`
	// Calls and OneWay count the messages served; Refused those answered
	// with an error without reaching the dispatcher.
	Calls   uint64 `json:"calls"`
	OneWay  uint64 `json:"one_way"`
	Refused uint64 `json:"refused"`
	// Keys holds the Stats of the first maxListedKeys keys, in order;
	// Unlisted counts the others.
	Keys     map[string]runtime.Stats `json:"keys"`
	Unlisted int                      `json:"unlisted,omitempty"`
}

// serviceName is the name under which nats micro lists a dispatcher: the
// prefix, with '.' written as '-', and the interface.
func (l *link) serviceName() string {
	return strings.ReplaceAll(l.n.cfg.prefix, ".", "-") + "-" + l.iface
}

// ensureService makes the dispatcher a NATS micro service, once it hosts a
// key: nats micro ls, info and stats list it, with its keys and their
// Stats. The service has one endpoint, on "<prefix>.$node.<Iface>.<node>",
// which answers with the same data. Calls do not go through it: each key
// has a subscription of its own, on the node's one delivery path.
func (l *link) ensureService() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.service != nil {
		return nil
	}
	methods := slices.Sorted(maps.Keys(l.methods))
	svc, err := micro.AddService(l.n.nc, micro.Config{
		Name:        l.serviceName(),
		Version:     serviceVersion,
		Description: fmt.Sprintf("dispatchgen recipients of %s on %s.%s.*.<method>", l.iface, l.n.cfg.prefix, l.iface),
		Metadata: map[string]string{
			"prefix":    l.n.cfg.prefix,
			"interface": l.iface,
			"node":      l.n.id,
			"codec":     l.n.cfg.codec.Name(),
			"methods":   strings.Join(methods, ","),
		},
		StatsHandler: func(*micro.Endpoint) any { return l.serviceData() },
	})
	if err != nil {
		return fmt.Errorf("natsdispatch: service of %s: %w", l.iface, err)
	}
	err = svc.AddEndpoint("recipients", micro.HandlerFunc(l.answerData),
		micro.WithEndpointSubject(l.n.cfg.prefix+".$node."+l.iface+"."+l.n.id),
		micro.WithEndpointQueueGroupDisabled())
	if err != nil {
		_ = svc.Stop()
		return fmt.Errorf("natsdispatch: service of %s: %w", l.iface, err)
	}
	l.service = svc
	return nil
}

func (l *link) serviceData() serviceData {
	stats := l.svc.Stats()
	d := serviceData{
		Node:       l.n.id,
		Recipients: len(stats),
		Calls:      l.calls.Load(),
		OneWay:     l.oneWay.Load(),
		Refused:    l.refused.Load(),
		Keys:       make(map[string]runtime.Stats, min(len(stats), maxListedKeys)),
	}
	for _, key := range slices.Sorted(maps.Keys(stats)) {
		if len(d.Keys) == maxListedKeys {
			d.Unlisted++
			continue
		}
		d.Keys[key] = stats[key]
	}
	return d
}

func (l *link) answerData(req micro.Request) {
	data, err := json.Marshal(l.serviceData())
	if err != nil {
		_ = req.Error("500", err.Error(), nil)
		return
	}
	_ = req.Respond(data)
}
