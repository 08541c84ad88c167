// Package grouped annotates interfaces declared in grouped type
// declarations: the annotation of a group applies to each of its
// interfaces, and that of one declaration in a group to it alone.
package grouped

import "context"

//go:generate go tool dispatchgen

// The stores, each keyed by an int.
//
//dispatch:recipient key=int
type (
	// Reader reads.
	Reader interface {
		Read(ctx context.Context) (string, error)
	}

	// Writer writes.
	Writer interface {
		Write(ctx context.Context, s string) error
	}

	// id is not an interface, and the annotation of its group leaves it be.
	id int
)

type (
	// Counter counts.
	//
	//dispatch:recipient
	Counter interface {
		Add(ctx context.Context, n int) (int, error)
	}

	// Plain is not annotated.
	Plain interface {
		Get(ctx context.Context) (int, error)
	}
)

var _ id
