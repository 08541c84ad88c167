// Package key has recipients registered under keys of types other than
// string.
package key

import "context"

//go:generate go tool dispatchgen

// UserID identifies a user.
type UserID int64

// Shard is a composite key.
type Shard struct {
	Region string
	N      int
}

// Inbox holds one user's messages.
//
//dispatch:recipient key=UserID
type Inbox interface {
	Deliver(ctx context.Context, text string) (int, error)
}

// Partition is one shard of a store.
//
//dispatch:recipient key=Shard
type Partition interface {
	Size(ctx context.Context) (int, error)
}

// Pair is keyed by a struct type written in the annotation, spaces and all.
//
//dispatch:recipient key=struct{A int; B string}
type Pair interface {
	Swap(ctx context.Context) (string, error)
}
