package keyoptions

import "context"

//go:generate go tool dispatchgen

// Empty has an empty key option.
//
//dispatch:recipient key=
type Empty interface {
	Get(ctx context.Context) (int, error)
}

// Twice has two key options, where one would silently win.
//
//dispatch:recipient key=int key=string
type Twice interface {
	Get(ctx context.Context) (int, error)
}

// Unknown has options that do not exist, and a noerror= and an async= that
// are wrong.
//
//dispatch:recipient key=int panic noerror=ignore async=
type Unknown interface {
	Get(ctx context.Context) (int, error)
}
