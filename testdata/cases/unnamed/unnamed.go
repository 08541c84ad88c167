// Package unnamed has unnamed and blank parameters and results.
package unnamed

import "context"

//go:generate go tool dispatchgen

// Store has parameters without names.
//
//dispatch:recipient
type Store interface {
	Put(context.Context, string, int) error
	Get(_ context.Context, _ string) (int, bool, error)
	Drop(context.Context, string)
	Mixed(_ context.Context, key string, _ int) (_ int, err error)
}
