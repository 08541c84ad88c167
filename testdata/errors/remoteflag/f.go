// Package remoteflag generates an interface of another package, whose
// methods cannot cross, with -remote: the diagnostics point at the flags.
package remoteflag

//go:generate go tool dispatchgen -remote -type net/http.RoundTripper
