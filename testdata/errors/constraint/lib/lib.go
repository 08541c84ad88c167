// Package lib has a generic interface whose constraint's type set uses a
// type that only lib can name.
package lib

import "context"

type celsius float64

type temperature interface {
	~int | celsius
}

// Thermo is constrained by a type set that another package cannot spell.
type Thermo[T temperature] interface {
	Read(ctx context.Context) (T, error)
}

// Plain is fine.
type Plain interface {
	Read(ctx context.Context) (int, error)
}
