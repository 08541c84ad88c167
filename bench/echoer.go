// Package bench compares the dispatchers that dispatchgen generates with what
// they replace, in one go test run so that the figures read as ratios: the
// same work through the generated EchoerDispatcher, through hand-written
// per-recipient channels, through one channel shared by every worker,
// through protoactor-go actors, and as a direct method call under a
// sync.Mutex, which is the floor.
//
// It is a module of its own so that protoactor-go and the report's
// dependencies never enter the main module's go.mod. Run it with ./run, which
// writes docs/benchmarks.md, or for a quick check
//
//	go test -run '^$' -bench . -benchtime 1x ./...
package bench

import "context"

//go:generate go run github.com/dispatchgen/dispatchgen/cmd/dispatchgen

// Echoer is the recipient of every benchmark. Its methods are as cheap as
// methods get, so that the benchmarks measure delivery and nothing else.
//
//dispatch:recipient key=int
type Echoer interface {
	// Echo returns n and the key of the recipient that handled it.
	Echo(ctx context.Context, n int) (Reply, error)
	// Note adds n to the recipient's tally; the caller does not wait.
	Note(ctx context.Context, n int)
	// Tally returns what the notes handled so far add up to.
	Tally(ctx context.Context) (Tally, error)
}

// Reply is what Echo returns: the caller checks both fields, so that a reply
// from the wrong recipient, or to another call, fails the benchmark.
type Reply struct {
	By int // the key of the recipient that handled the call
	N  int // the call's argument
}

// Tally is what Tally returns.
type Tally struct {
	Notes int // notes handled
	Sum   int // their arguments added up
}

// Recipient is the Echoer of every implementation compared. It is not safe
// for concurrent use: each implementation serialises the calls to it in its
// own way.
type Recipient struct {
	key   int
	tally Tally
}

// NewRecipient returns the recipient that answers as key.
func NewRecipient(key int) *Recipient {
	return &Recipient{key: key}
}

// Echo returns n and the recipient's key.
func (r *Recipient) Echo(_ context.Context, n int) (Reply, error) {
	return Reply{By: r.key, N: n}, nil
}

// Note adds n to the recipient's tally.
func (r *Recipient) Note(_ context.Context, n int) {
	r.tally.Notes++
	r.tally.Sum += n
}

// Tally returns the notes handled so far.
func (r *Recipient) Tally(context.Context) (Tally, error) {
	return r.tally, nil
}
