package alltogether

import "context"

//go:generate go tool dispatchgen

// Good is fine, but nothing is written while Bad has problems.
//
//dispatch:recipient
type Good interface {
	Get(ctx context.Context) (int, error)
}

// Bad has several problems, all reported in one run.
//
//dispatch:recipient key=map[string]int
type Bad interface {
	A(ctx context.Context) int
	B(ctx context.Context, c chan<- struct{ x int }) string
}
