package runtime

import "log/slog"

// DefaultMailboxSize is the capacity of a recipient's mailbox when no option
// sets another: the messages accepted and not yet ended, the one being
// handled among them.
const DefaultMailboxSize = 1024

// Option configures a dispatcher. Every RecipientOption is also an Option:
// given to the dispatcher, it sets the default for each recipient registered
// with it, which that recipient's own options may override.
type Option interface {
	applyRouter(*routerConfig)
}

// RecipientOption configures one recipient when it is registered.
type RecipientOption func(*recipientConfig)

func (o RecipientOption) applyRouter(c *routerConfig) {
	c.recipientDefaults = append(c.recipientDefaults, o)
}

type routerOption func(*routerConfig)

func (o routerOption) applyRouter(c *routerConfig) { o(c) }

// routerConfig is what a dispatcher's options set, and the name of its
// recipient interface.
type routerConfig struct {
	name              string
	recipientDefaults []RecipientOption
	onDeadLetter      func(DeadLetter)
	interceptors      []Interceptor
	logger            *slog.Logger
	transport         Transport
}

// recipientConfig is what a recipient's options set.
type recipientConfig struct {
	mailboxSize int // 0 means unbounded
	failFast    bool
	stopOnPanic bool
	dedicated   bool
}

func newRouterConfig(opts []Option) routerConfig {
	var c routerConfig
	for _, o := range opts {
		if o != nil {
			o.applyRouter(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.onDeadLetter == nil {
		logger := c.logger
		c.onDeadLetter = func(d DeadLetter) { logDeadLetter(logger, d) }
	}
	return c
}

func (c *routerConfig) recipientConfig(opts []RecipientOption) recipientConfig {
	rc := recipientConfig{mailboxSize: DefaultMailboxSize}
	for _, list := range [][]RecipientOption{c.recipientDefaults, opts} {
		for _, o := range list {
			if o != nil {
				o(&rc)
			}
		}
	}
	return rc
}

// WithMailboxSize bounds the mailbox to n messages, the one being handled
// counted with those queued behind it: with n = 1 a message finds room only
// while the recipient is idle. A sender that finds it full waits for room
// until its context ends, or fails at once with ErrMailboxFull under
// WithFailFast. A size below 1 means 1.
func WithMailboxSize(n int) RecipientOption {
	return func(c *recipientConfig) { c.mailboxSize = max(n, 1) }
}

// WithUnbounded lets the mailbox grow without bound: a sender never waits for
// room. Use it only where the senders are known to be slower than the
// recipient, since nothing then holds back a producer that is not.
func WithUnbounded() RecipientOption {
	return func(c *recipientConfig) { c.mailboxSize = 0 }
}

// WithFailFast makes a send to a full mailbox fail at once with ErrMailboxFull
// instead of waiting for room.
func WithFailFast() RecipientOption {
	return func(c *recipientConfig) { c.failFast = true }
}

// WithDedicatedGoroutine keeps a goroutine for the recipient from its first
// message until it is unregistered, parked while the recipient is idle.
// Without it, an idle recipient holds no goroutine, and a message to it
// starts one, whose stack grows again to what the recipient's methods need.
// With it, a message wakes the parked goroutine instead, which keeps its
// stack, and the idle recipient holds that goroutine's memory (2 KiB or more
// of stack). Whether that wakes the recipient sooner depends on the machine:
// docs/benchmarks.md reports both.
func WithDedicatedGoroutine() RecipientOption {
	return func(c *recipientConfig) { c.dedicated = true }
}

// WithStopOnPanic stops a recipient whose method panics: the panicking call
// fails with *PanicError as always, the recipient is unregistered, and what
// was queued behind it fails with ErrClosed.
func WithStopOnPanic() RecipientOption {
	return func(c *recipientConfig) { c.stopOnPanic = true }
}

// WithDeadLetterHandler sets the function that receives the one-way messages
// that could not be delivered or whose handling panicked. It is called on the
// sender's goroutine or the recipient's, so it should return quickly. The
// default logs each one with the dispatcher's logger.
func WithDeadLetterHandler(f func(DeadLetter)) Option {
	return routerOption(func(c *routerConfig) { c.onDeadLetter = f })
}

// WithInterceptors adds interceptors around the handling of every message, the
// first given outermost.
func WithInterceptors(is ...Interceptor) Option {
	return routerOption(func(c *routerConfig) {
		for _, i := range is {
			if i != nil {
				c.interceptors = append(c.interceptors, i)
			}
		}
	})
}

// WithLogger sets the logger of the default dead-letter handler. The default
// is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return routerOption(func(c *routerConfig) { c.logger = l })
}
