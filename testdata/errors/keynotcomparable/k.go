package keynotcomparable

import "context"

//go:generate go tool dispatchgen

// Shard is keyed by a slice, which is not comparable.
//
//dispatch:recipient key=[]byte
type Shard interface {
	Size(ctx context.Context) (int, error)
}

// Other is keyed by a type that does not exist.
//
//dispatch:recipient key=Missing
type Other interface {
	Size(ctx context.Context) (int, error)
}
