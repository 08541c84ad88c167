package syntax

//go:generate go tool dispatchgen

//dispatch:recipient
type Broken interface {
	Method(ctx context.Context) error
