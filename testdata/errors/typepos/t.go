package typepos

//go:generate go tool dispatchgen -type fmt.Stringer
