// Package foreign generates a dispatcher for another package's interface,
// io.ReadWriteCloser, into this package.
package foreign

//go:generate go tool dispatchgen -type io.ReadWriteCloser
