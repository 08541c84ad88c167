package asynccollision

import "context"

//go:generate go tool dispatchgen

// Store has Get and GetAsync, which the Ref's GetAsync for Get would collide
// with.
//
//dispatch:recipient
type Store interface {
	Get(ctx context.Context, key string) (string, error)
	GetAsync(ctx context.Context, key string) (string, error)
}
