// Package deprecated generates dispatchers for interfaces that are, or have
// methods and types that are, deprecated: the generated code stays clean under
// staticcheck, whose SA1019 would report each use.
package deprecated

//go:generate go tool dispatchgen -type database/sql/driver.Conn,github.com/dispatchgen/dispatchgen/testdata/cases/deprecated/old.Resolver
