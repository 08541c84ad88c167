// Package unexported has an unexported recipient interface, whose generated
// names start lower-case, with an unexported method.
package unexported

import "context"

//go:generate go tool dispatchgen

//dispatch:recipient
type session interface {
	Send(ctx context.Context, msg string) (int, error)
	close(ctx context.Context)
}
