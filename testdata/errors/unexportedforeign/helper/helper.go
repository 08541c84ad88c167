// Package helper has an exported interface whose method uses an unexported
// type, which no other package can name.
package helper

type secret int

// Keeper keeps a secret.
type Keeper interface {
	Keep(s secret) error
	Count() (int, error)
}
