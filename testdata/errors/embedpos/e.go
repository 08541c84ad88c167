package embedpos

import (
	"context"
	"fmt"
)

//go:generate go tool dispatchgen

// Named embeds methods that have results but no final error: each is
// reported at the line that embeds it.
//
//dispatch:recipient
type Named interface {
	error
	Get(ctx context.Context) (string, error)
	fmt.Stringer
}
