// Package types has methods whose parameters and results use every kind of
// type a method can: other packages' types, aliases, pointers, slices,
// arrays, maps, funcs, channels of every direction, anonymous structs and
// generic instantiations.
package types

import (
	"context"
	"io"
	"iter"
	"net/http"
	tm "time"
)

//go:generate go tool dispatchgen

// Pair is a generic type of this package.
type Pair[A, B any] struct {
	First  A
	Second B
}

// Celsius is an alias, kept as written.
type Celsius = float64

// Kitchen uses every kind of type.
//
//dispatch:recipient
type Kitchen interface {
	Basic(ctx context.Context, b byte, r rune, a any, u uintptr, c complex128) (string, error)
	Aliased(ctx context.Context, t Celsius, d tm.Duration) (Celsius, error)
	Other(ctx context.Context, w io.Writer, req *http.Request, at tm.Time) (*http.Response, error)
	Composite(ctx context.Context, p *int, s []string, a [4]byte, m map[string][]int) (map[Celsius]*[2]bool, error)
	Funcs(ctx context.Context, f func(int, ...string) (bool, error), g func()) (func() int, error)
	Chans(ctx context.Context, in <-chan int, out chan<- int, both chan (<-chan int), nested chan<- <-chan int) (<-chan error, error)
	Anonymous(ctx context.Context, v struct {
		X int `json:"x"`
		Y int
		io.Reader
	}) (struct{ OK bool }, error)
	Generic(ctx context.Context, p Pair[int, string], seq iter.Seq2[string, int]) (Pair[string, []Pair[int, int]], error)
	Iface(ctx context.Context, v interface {
		io.Closer
		Name() string
	}) (interface{ Done() <-chan struct{} }, error)
}
