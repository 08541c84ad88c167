package declared

import "context"

//go:generate go tool dispatchgen

// StoreDispatcher is already declared by hand.
type StoreDispatcher struct{}

// Store would get a StoreDispatcher.
//
//dispatch:recipient
type Store interface {
	Get(ctx context.Context, key string) (string, error)
}
