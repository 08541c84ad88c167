// Package stdlibnoerror generates, under -noerror=panic, dispatchers for
// interfaces of the standard library with methods that have no final error.
package stdlibnoerror

//go:generate go tool dispatchgen -noerror=panic -type net.Conn,hash.Hash,log/slog.Handler,sort.Interface,fmt.Stringer
