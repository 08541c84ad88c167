package typestring

import (
	"context"

	"github.com/dispatchgen/dispatchgen/testdata/errors/typestring/lib"
)

//go:generate go tool dispatchgen

// Dialer returns values of another package without a final error.
//
//dispatch:recipient
type Dialer interface {
	Dial(ctx context.Context) *lib.Conn
	Both(ctx context.Context) (*lib.Conn, map[string]lib.Info)
}
