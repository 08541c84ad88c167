package natsdispatch

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The defaults of a node's options.
const (
	DefaultPrefix     = "dispatch"
	DefaultLeaseTTL   = 10 * time.Second
	DefaultSendWait   = time.Second
	DefaultMaxTimeout = 5 * time.Minute
)

// MinLeaseTTL is the shortest lease WithLeaseTTL accepts: a renewal every
// fifth of it must fit a round trip to JetStream with room to spare, and
// JetStream expires a lease up to about 350 ms late in any case.
const MinLeaseTTL = 500 * time.Millisecond

// Option configures a Node.
type Option func(*config)

// config is what a node's options set.
type config struct {
	prefix     string
	leaseTTL   time.Duration
	codec      Codec
	errs       []error
	sendWait   time.Duration
	maxTimeout time.Duration
	maxPayload int
	logger     *slog.Logger
	headers    HeaderPropagator
}

// WithPrefix sets the first tokens of every subject the node uses, and so
// which nodes can reach one another: only nodes of one prefix share keys.
// It is one or more dot-separated tokens of letters, digits, '_' and '-';
// the default is "dispatch". The ownership buckets are named after it, with
// '.' written as '_'.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithLeaseTTL sets how long the node's liveness lease lasts without
// renewal: how long the keys of a node that vanished stay unclaimable, and
// so how long they go unserved. The node renews it five times per TTL and,
// if it cannot renew it for 0.8 × TTL, stops serving its keys before
// another node can take them. Every node of a prefix must use the same TTL,
// which is the lease bucket's; the default is 10 s, the least MinLeaseTTL.
func WithLeaseTTL(ttl time.Duration) Option {
	return func(c *config) { c.leaseTTL = ttl }
}

// WithCodec sets how arguments and results are written on the wire. Every
// node of a prefix must use the same codec. The default is JSON().
func WithCodec(codec Codec) Option {
	return func(c *config) { c.codec = codec }
}

// WithErrors lists application errors that cross the wire as themselves: a
// remote method's error that wraps one of them is, on the caller's side, an
// error for which errors.Is(err, thatError) holds, when the caller's node
// lists it too. Errors are matched by their text, so each listed error must
// have a text of its own. Other errors arrive as their text only.
func WithErrors(errs ...error) Option {
	return func(c *config) { c.errs = append(c.errs, errs...) }
}

// WithSendWait sets how long a one-way message that finds its recipient's
// mailbox full waits on the hosting node for room, before it is refused
// and reaches its sender's dead-letter handler: between 63/64 of it and all
// of it, since the messages that arrive together share one deadline. On a sending node it sets,
// plus a second, how long a refusal can still be matched to its message:
// use the same value on every node. The default is 1 s.
func WithSendWait(d time.Duration) Option {
	return func(c *config) { c.sendWait = d }
}

// WithMaxTimeout bounds how long a call another process sends may run on
// this node, whatever deadline its caller set. A call this node sends
// without a deadline, or with a later one, waits for its reply that long
// and a second more, checked once per lease renewal period, before it fails
// with context.DeadlineExceeded. The default is 5 minutes.
func WithMaxTimeout(d time.Duration) Option {
	return func(c *config) { c.maxTimeout = d }
}

// WithMaxPayload bounds the arguments a hosting node accepts: a larger
// message is answered with code 413 without being read. The default, and
// the most, is the server's max_payload.
func WithMaxPayload(n int) Option {
	return func(c *config) { c.maxPayload = n }
}

// WithLogger sets where the node reports what it cannot report to a caller:
// a renewal that failed, a refusal of a one-way message that came back too
// late to reach its sender. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

func newConfig(opts []Option, serverMaxPayload int) (config, error) {
	c := config{
		prefix:     DefaultPrefix,
		leaseTTL:   DefaultLeaseTTL,
		codec:      JSON(),
		sendWait:   DefaultSendWait,
		maxTimeout: DefaultMaxTimeout,
		maxPayload: serverMaxPayload,
		logger:     slog.Default(),
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if err := checkPrefix(c.prefix); err != nil {
		return c, err
	}
	var errs []error
	if c.leaseTTL < MinLeaseTTL {
		errs = append(errs, fmt.Errorf("natsdispatch: lease TTL %v is under %v", c.leaseTTL, MinLeaseTTL))
	}
	if c.codec == nil {
		errs = append(errs, errors.New("natsdispatch: nil codec"))
	} else {
		c.codec = guarded(c.codec)
	}
	if c.sendWait < 0 {
		errs = append(errs, fmt.Errorf("natsdispatch: negative send wait %v", c.sendWait))
	}
	if c.maxTimeout <= 0 {
		errs = append(errs, fmt.Errorf("natsdispatch: max timeout %v is not positive", c.maxTimeout))
	}
	if c.maxPayload <= 0 || c.maxPayload > serverMaxPayload {
		c.maxPayload = serverMaxPayload
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	errs = append(errs, checkErrorList(c.errs))
	return c, errors.Join(errs...)
}

// checkErrorList reports nil errors and errors that share a text, which
// could not be told apart on the wire.
func checkErrorList(list []error) error {
	seen := make(map[string]bool, len(list))
	for i, err := range list {
		if err == nil {
			return fmt.Errorf("natsdispatch: WithErrors: error %d is nil", i)
		}
		if seen[err.Error()] {
			return fmt.Errorf("natsdispatch: WithErrors: two errors read %q", err.Error())
		}
		seen[err.Error()] = true
	}
	return nil
}
