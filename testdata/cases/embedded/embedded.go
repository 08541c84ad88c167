// Package embedded has a recipient that embeds interfaces of its own package
// and of another.
package embedded

import (
	"context"
	"io"
)

//go:generate go tool dispatchgen

// Namer names things.
type Namer interface {
	Name(ctx context.Context) (string, error)
}

// Device embeds Namer before its own methods and io.Closer after them: the
// generated methods come in that order.
//
//dispatch:recipient
type Device interface {
	Namer
	Power(ctx context.Context, on bool) error
	io.Closer
	Name(ctx context.Context) (string, error) // also embedded: listed once
}
