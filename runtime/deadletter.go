package runtime

import (
	"context"
	"log/slog"
)

// DeadLetter is a one-way message that was not delivered, or whose handling
// panicked.
type DeadLetter struct {
	// Recipient is the name of the recipient interface, Key the key the
	// message was sent to and Method the method it was to run.
	Recipient string
	Key       any
	Method    string
	// Message is the message itself, with its arguments.
	Message any
	// Err says why: it wraps ErrNoRecipient, ErrClosed, ErrMailboxFull,
	// ErrNilContext or the context's error, or is a *PanicError.
	Err error
}

// deadLetter gives a one-way message that was not delivered, or whose method
// panicked, to the dead-letter handler. A panic in the handler is logged: it
// must not take the runtime's bookkeeping, or the goroutine that called it,
// with it.
func (c *routerConfig) deadLetter(key any, m OneWayMessage, err error) {
	d := DeadLetter{Recipient: c.name, Key: key, Method: m.Method(), Message: m, Err: err}
	defer func() {
		if v := recover(); v != nil {
			c.logger.LogAttrs(context.Background(), slog.LevelError, "dispatch: dead-letter handler panicked",
				slog.String("recipient", d.Recipient), slog.Any("key", d.Key),
				slog.String("method", d.Method), slog.Any("panic", v))
		}
	}()
	c.onDeadLetter(d)
}

func logDeadLetter(l *slog.Logger, d DeadLetter) {
	l.LogAttrs(context.Background(), slog.LevelWarn, "dispatch: undelivered one-way message",
		slog.String("recipient", d.Recipient),
		slog.Any("key", d.Key),
		slog.String("method", d.Method),
		slog.Any("err", d.Err))
}
