// Package anyimport uses a package named any: the generated code, which
// needs the predeclared any, must import it under another name.
package anyimport

import (
	"context"

	"github.com/dispatchgen/dispatchgen/testdata/cases/anyimport/any"
)

//go:generate go tool dispatchgen

// Box holds a value of package any.
//
//dispatch:recipient
type Box interface {
	Put(ctx context.Context, v any.Value) error
	Get(ctx context.Context) (any.Value, error)
}
