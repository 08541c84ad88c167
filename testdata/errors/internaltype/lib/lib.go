// Package lib has an interface whose method uses a type of its internal
// package.
package lib

import (
	"context"

	"github.com/dispatchgen/dispatchgen/testdata/errors/internaltype/lib/internal/secret"
)

// Store checks tokens.
type Store interface {
	Get(ctx context.Context, key string) (string, error)
	Check(ctx context.Context, t secret.Token) (bool, error)
}
