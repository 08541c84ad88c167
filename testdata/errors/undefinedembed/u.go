package undefinedembed

import (
	"context"
	"io"
)

//go:generate go tool dispatchgen

// A embeds a misspelled interface: generated without it, A's dispatcher
// would not implement A.
//
//dispatch:recipient
type A interface {
	io.Closr
	Get(ctx context.Context) (string, error)
}

// B embeds an interface that is declared nowhere.
//
//dispatch:recipient
type B interface{ Missing }

// C is declared as a type that is declared nowhere.
//
//dispatch:recipient
type C Missing2

// D embeds an interface of its own package that does not type-check.
//
//dispatch:recipient
type D interface {
	inner
	Put(ctx context.Context, v string) error
}

type inner interface {
	io.Writr
}
