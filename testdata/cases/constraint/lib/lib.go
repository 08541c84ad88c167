// Package lib has generic interfaces constrained by an interface that only
// lib can name.
package lib

import "context"

// number is unexported: another package cannot name it.
type number interface {
	~int | ~float64
}

// Acc accumulates numbers.
type Acc[T number] interface {
	Add(ctx context.Context, x T) (T, error)
}

// Pair holds two numbers.
type Pair[A number, B interface{ number | ~string }] interface {
	Set(ctx context.Context, a A, b B) error
}
