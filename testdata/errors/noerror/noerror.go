package noerror

import "context"

//go:generate go tool dispatchgen

// Calc has methods with results and no final error.
//
//dispatch:recipient
type Calc interface {
	Add(ctx context.Context, a, b int) int
	Div(ctx context.Context, a, b int) (int, error)
	Pair(ctx context.Context) (error, int)
}
