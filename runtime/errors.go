package runtime

import (
	"errors"
	"fmt"
)

// The sentinel errors of a dispatch. A call that fails for a reason of the
// dispatcher's, not of the recipient's, fails with an error that wraps one of
// these, so callers test them with errors.Is.
var (
	// ErrNoRecipient reports a call to a key under which nothing is registered.
	ErrNoRecipient = errors.New("dispatch: no recipient registered under that key")
	// ErrDuplicateKey reports a Register under a key that is already taken.
	ErrDuplicateKey = errors.New("dispatch: key already registered")
	// ErrClosed reports a call to a recipient, or a dispatcher, that is
	// stopping or stopped, and a queued call that Close or Unregister failed
	// because their context ended before the call's turn came.
	ErrClosed = errors.New("dispatch: recipient closed")
	// ErrMailboxFull reports a call to a full mailbox whose recipient was
	// registered with WithFailFast.
	ErrMailboxFull = errors.New("dispatch: mailbox full")
	// ErrDeadlock reports a synchronous call (or a Future's Await) that would
	// wait for a recipient which is itself waiting, directly or around a cycle,
	// for the caller.
	ErrDeadlock = errors.New("dispatch: call would deadlock")
	// ErrNilRecipient reports a Register with a nil recipient.
	ErrNilRecipient = errors.New("dispatch: nil recipient")
	// ErrNilContext reports a call made with a nil context.Context.
	ErrNilContext = errors.New("dispatch: nil context")
	// ErrGoexit is the Value of the *PanicError of a call whose method
	// called runtime.Goexit (as t.FailNow does) instead of returning. Like
	// a panic, it counts in Stats.Panics, and the recipient goes on. A
	// synchronous call that ran on its caller's goroutine (made with a
	// context that cannot end, to an idle recipient) gets no error: Goexit
	// ends that goroutine, which nothing can prevent.
	ErrGoexit = errors.New("dispatch: method called runtime.Goexit")
)

// PanicError is the error a caller receives when the recipient's method
// panicked while handling its call. The recipient itself goes on serving its
// mailbox unless it was registered with WithStopOnPanic.
type PanicError struct {
	// Recipient is the name of the recipient interface, Key the key it is
	// registered under and Method the method that panicked.
	Recipient string
	Key       any
	Method    string
	// Value is the value passed to panic.
	Value any
	// Stack is the stack of the goroutine at the panic, as debug.Stack
	// formats it.
	Stack []byte
}

// Error describes the panic and where it happened, without the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("dispatch: %s[%v].%s panicked: %v", e.Recipient, e.Key, e.Method, e.Value)
}

// Unwrap returns the panic value when it is an error, so that errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
