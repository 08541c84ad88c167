// Package generic has a generic recipient interface, which gets a generic
// dispatcher.
package generic

import (
	"cmp"
	"context"
)

//go:generate go tool dispatchgen

// Number is a constraint with a type set.
type Number interface {
	~int | ~int64 | ~float64
}

// Cache maps keys to values.
//
//dispatch:recipient
type Cache[K cmp.Ordered, V any, N Number] interface {
	Get(ctx context.Context, key K) (V, bool, error)
	Put(ctx context.Context, key K, v V)
	Sum(ctx context.Context, xs []N) (N, error)
}
