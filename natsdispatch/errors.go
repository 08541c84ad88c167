package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// RemoteError is the error of a call that failed in the process that holds
// its recipient. It unwraps to each runtime sentinel error and context
// error the remote failure wrapped, to a *runtime.PanicError when the
// recipient panicked, and to each error both nodes list WithErrors that it
// wrapped; an error of any other kind is its text only.
type RemoteError struct {
	// Interface, Key and Method name the call: the recipient interface,
	// the text of its key and the method.
	Interface string
	Key       string
	Method    string
	// Code is the ADR-32 error code, as HTTP's: 400 for a request the
	// hosting node could not read, 404 ErrNoRecipient, 409
	// ErrDuplicateKey, 413 for arguments over its WithMaxPayload, 429
	// ErrMailboxFull, 499 context.Canceled, 500 a panic or the method's own
	// error, 503 ErrClosed, 504 context.DeadlineExceeded, 508 ErrDeadlock.
	Code int
	// Description is the remote error's text.
	Description string

	wrapped []error
}

// Error says which call failed and how.
func (e *RemoteError) Error() string {
	return fmt.Sprintf("natsdispatch: remote %s[%q].%s: %s", e.Interface, e.Key, e.Method, e.Description)
}

// Unwrap returns the errors the remote failure is known to wrap.
func (e *RemoteError) Unwrap() []error { return e.wrapped }

// sentinel is an error whose identity crosses the wire by name.
type sentinel struct {
	name string
	err  error
	code int
}

// sentinels are tested in order; the first that a failure wraps gives its
// code.
var sentinels = []sentinel{
	{"ErrDeadlock", runtime.ErrDeadlock, 508},
	{"ErrNoRecipient", runtime.ErrNoRecipient, 404},
	{"ErrDuplicateKey", runtime.ErrDuplicateKey, 409},
	{"ErrMailboxFull", runtime.ErrMailboxFull, 429},
	{"ErrClosed", runtime.ErrClosed, 503},
	{"ErrNilRecipient", runtime.ErrNilRecipient, 500},
	{"ErrNilContext", runtime.ErrNilContext, 500},
	{"context.Canceled", context.Canceled, 499},
	{"context.DeadlineExceeded", context.DeadlineExceeded, 504},
	{"natsdispatch.ErrKeyTooLong", ErrKeyTooLong, 500},
	{"natsdispatch.ErrChainTooLong", ErrChainTooLong, 500},
}

// requestError is an inbound message the hosting node could not read: its
// arguments, its headers, or its size. It is answered with code, never
// served.
type requestError struct {
	code int
	err  error
}

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) error {
	return &requestError{code: 400, err: fmt.Errorf(format, args...)}
}

// Bounds on what an error reply carries.
const (
	maxErrorText = 1024
	maxStack     = 16 << 10
)

// errorReply writes err as the headers and payload of an error reply.
func errorReply(err error, listed []error) *nats.Msg {
	h := nats.Header{}
	code := 500
	var names []string
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			if names == nil {
				code = s.code
			}
			names = append(names, s.name)
		}
	}
	if names != nil {
		h.Set(hdrErrorIs, strings.Join(names, ","))
	}
	for _, l := range listed {
		if errors.Is(err, l) {
			h.Add(hdrErrorApp, strconv.Quote(l.Error()))
		}
	}
	var re *requestError
	if errors.As(err, &re) {
		code = re.code
	}
	msg := &nats.Msg{Header: h}
	var pe *runtime.PanicError
	if errors.As(err, &pe) {
		code = 500
		h.Set(hdrPanic, strconv.Quote(clip(fmt.Sprint(pe.Value), maxErrorText)))
		msg.Data = []byte(clip(string(pe.Stack), maxStack))
	}
	h.Set(micro.ErrorCodeHeader, strconv.Itoa(code))
	h.Set(micro.ErrorHeader, headerText(err.Error()))
	return msg
}

// remoteError reads an error reply; ok is false when msg is not one.
func (n *Node) remoteError(iface, key, method string, msg *nats.Msg) (*RemoteError, bool) {
	h := msg.Header
	codeText := h.Get(micro.ErrorCodeHeader)
	if codeText == "" {
		return nil, false
	}
	code, _ := strconv.Atoi(codeText)
	e := &RemoteError{Interface: iface, Key: key, Method: method, Code: code, Description: h.Get(micro.ErrorHeader)}
	for name := range strings.SplitSeq(h.Get(hdrErrorIs), ",") {
		for _, s := range sentinels {
			if s.name == name {
				e.wrapped = append(e.wrapped, s.err)
			}
		}
	}
	for _, q := range h.Values(hdrErrorApp) {
		text, err := strconv.Unquote(q)
		if err != nil {
			continue
		}
		for _, l := range n.cfg.errs {
			if l.Error() == text {
				e.wrapped = append(e.wrapped, l)
			}
		}
	}
	if q := h.Get(hdrPanic); q != "" {
		value, err := strconv.Unquote(q)
		if err != nil {
			value = q
		}
		e.wrapped = append(e.wrapped, &runtime.PanicError{
			Recipient: iface, Key: key, Method: method, Value: value, Stack: msg.Data,
		})
	}
	return e, true
}

// headerText makes s fit in a header value: no control characters, valid
// UTF-8, at most maxErrorText bytes.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, clip(s, maxErrorText))
	return strings.TrimSpace(s)
}

// clip cuts s to at most n bytes, on a rune boundary, and makes it valid
// UTF-8.
func clip(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
