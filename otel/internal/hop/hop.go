// Package hop is the recipient interface of the module's tests, with a
// dispatcher generated to cross processes, and a recipient whose methods
// end in each way a method can.
package hop

import (
	"context"
	"errors"
	goruntime "runtime"
)

//go:generate go tool dispatchgen

// Hop does what each call's step says.
//
//dispatch:recipient remote
type Hop interface {
	// Do runs step: see Server.Do.
	Do(ctx context.Context, step string) (string, error)
	// Relay calls Do on the recipient under to, with its own context.
	Relay(ctx context.Context, to, step string) (string, error)
	// Note runs step, one-way.
	Note(ctx context.Context, step string)
}

// ErrStep is the error of the step "fail".
var ErrStep = errors.New("hop: the step failed")

// Server is a Hop. Relay calls the recipients of Dispatcher.
type Server struct {
	Dispatcher *HopDispatcher
	// Release ends the step "block".
	Release chan struct{}
	// Noted receives each step that Note ran.
	Noted chan string
}

// NewServer returns a server that relays to d's recipients.
func NewServer(d *HopDispatcher) *Server {
	return &Server{Dispatcher: d, Release: make(chan struct{}), Noted: make(chan string, 64)}
}

// Do returns the step's name for "ok", fails with ErrStep for "fail",
// panics for "panic", calls runtime.Goexit for "goexit", returns its
// context's error once it ends for "wait", and waits for Release, or its
// context's end, for "block".
func (s *Server) Do(ctx context.Context, step string) (string, error) {
	switch step {
	case "fail":
		return "", ErrStep
	case "panic":
		panic("hop: the step panicked")
	case "goexit":
		goruntime.Goexit()
	case "wait":
		<-ctx.Done()
		return "", ctx.Err()
	case "block":
		select {
		case <-s.Release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return step, nil
}

// Relay calls Do(ctx, step) on the recipient under to.
func (s *Server) Relay(ctx context.Context, to, step string) (string, error) {
	return s.Dispatcher.To(to).Do(ctx, step)
}

// Note runs Do(ctx, step) and sends step to Noted.
func (s *Server) Note(ctx context.Context, step string) {
	_, _ = s.Do(ctx, step)
	s.Noted <- step
}
