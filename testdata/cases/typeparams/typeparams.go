// Package typeparams has generic interfaces whose type parameters are named
// like the generated code's own identifiers, and like the predeclared types
// it needs: the generated code renames its own, never the user's.
package typeparams

import "context"

//go:generate go tool dispatchgen

// Impl has a type parameter named like Register's parameter and Run's.
//
//dispatch:recipient
type Impl[impl any] interface {
	Get(ctx context.Context, v impl) (impl, error)
}

// Locals has type parameters named like the generated receivers,
// parameters and variables.
//
//dispatch:recipient
type Locals[ctx, opts, key, d, m, r, err, dest any] interface {
	Swap(c context.Context, a ctx, b opts) (key, d, error)
	Tell(c context.Context, x m, y r, z err, w dest)
}

// Res returns its type parameter twice, beside the variable res.
//
//dispatch:recipient
type Res[res any] interface {
	Do(v res) (res, res, error)
}

// String has a type parameter named string, while the key type is the
// predeclared string.
//
//dispatch:recipient
type String[string any] interface {
	Echo(ctx context.Context, s string) (string, error)
}

// Any has a type parameter named any, which Run's parameter needs.
//
//dispatch:recipient
type Any[any comparable] interface {
	Same(ctx context.Context, a, b any) (bool, error)
}
