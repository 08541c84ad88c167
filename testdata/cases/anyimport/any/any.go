// Package any is a package named like the predeclared any, as mockgen's
// sanitization test has one.
package any

// Value is what a Box holds.
type Value struct{ N int }
