// Package helper has an exported interface whose method uses an unexported
// type twice.
package helper

type secret int

// Swapper swaps secrets.
type Swapper interface {
	Swap(a, b secret) (secret, error)
}
