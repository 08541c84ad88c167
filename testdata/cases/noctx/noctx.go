// Package noctx has methods without a context, and one whose context is not
// the first parameter.
package noctx

import "context"

//go:generate go tool dispatchgen

// Counter counts.
//
//dispatch:recipient
type Counter interface {
	Add(n int) (int, error)
	Value() (int, error)
	Reset()
	AddLater(n int, ctx context.Context) (int, error)
}
