// Package lib has types with a long import path, which diagnostics write
// as a user's source does.
package lib

// Conn is a connection.
type Conn struct{}

// Info describes one.
type Info struct{}
