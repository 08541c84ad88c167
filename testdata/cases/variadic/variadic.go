// Package variadic has variadic methods.
package variadic

import "context"

//go:generate go tool dispatchgen

// Logger collects lines.
//
//dispatch:recipient
type Logger interface {
	Logf(ctx context.Context, format string, args ...any)
	Join(ctx context.Context, sep string, parts ...string) (string, error)
	Count(ctx context.Context, xs ...int) (int, error)
}
