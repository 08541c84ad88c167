package twice

import "context"

//go:generate go tool dispatchgen

// Keeper's methods have a problem twice, reported once.
//
//dispatch:recipient
type Keeper interface {
	Get(ctx context.Context, a Missing, b Missing) (string, error)
}
