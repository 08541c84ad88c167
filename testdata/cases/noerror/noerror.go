// Package noerror opts in to methods without a final error: their Ref
// panics with a *GaugeCallError when the call fails, and their Async
// variant returns the error from its Future.
package noerror

import "context"

//go:generate go tool dispatchgen

// Gauge has methods with results but no final error, as hash.Hash and
// net.Conn have.
//
//dispatch:recipient key=int noerror=panic
type Gauge interface {
	Size() int
	Span(ctx context.Context) (lo, hi int)
	Add(ctx context.Context, n int) (int, error)
	Reset()
}
