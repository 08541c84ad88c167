// Package remote has recipients annotated //dispatch:recipient remote,
// whose calls can cross processes: arguments in structs a codec reads,
// results that it writes, and keys with a text form.
package remote

import (
	"context"
	"strings"
	"time"
)

//go:generate go tool dispatchgen

// Entry is a value of the store: exported fields, a time that marshals
// itself, and a tree of its own type.
type Entry struct {
	Text     string
	At       time.Time
	Tags     map[int]string
	Children []*Entry
	Extra    any // JSON turns integers inside any into float64
}

// Store keeps entries by name.
//
//dispatch:recipient remote
type Store interface {
	Put(ctx context.Context, name string, e Entry) error
	Get(ctx context.Context, name string) (*Entry, error)
	// Stat has named results, one that would be unexported as a field.
	Stat(ctx context.Context, name string) (size int, _at time.Time, err error)
	// Append has parameters whose fields would collide, and a variadic.
	Append(ctx context.Context, a string, A string, more ...string) (int, error)
	Touch(name string)
	Drop(ctx context.Context)
}

// Region is a key that writes itself as text.
type Region struct{ Name string }

// MarshalText writes the region's name in lower case.
func (r Region) MarshalText() ([]byte, error) { return []byte(strings.ToLower(r.Name)), nil }

// Shard is keyed by a TextMarshaler, generates panicking methods without
// a final error, and names its asynchronous variants otherwise.
//
//dispatch:recipient remote key=Region noerror=panic async=Future
type Shard interface {
	Size(ctx context.Context) int
	Resize(ctx context.Context, n int) (int, error)
}

// Counter is keyed by an integer, and is generated local-only beside the
// others.
//
//dispatch:recipient key=int
type Counter interface {
	Add(ctx context.Context, n int) (int, error)
}
