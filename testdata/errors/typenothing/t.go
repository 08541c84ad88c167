package typenothing

//go:generate go tool dispatchgen -type Nowhere,io.Nothing,Here

// Here is not an interface.
type Here int
