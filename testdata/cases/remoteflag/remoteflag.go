// Package remoteflag generates the wire side with the -remote flag, for an
// interface of its own and one of another package, neither annotated.
package remoteflag

import "context"

//go:generate go tool dispatchgen -remote -type Greeter,io.Closer

// Greeter greets.
type Greeter interface {
	Greet(ctx context.Context, name string) (string, error)
}
