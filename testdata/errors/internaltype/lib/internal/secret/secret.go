// Package secret is internal to lib: no package outside lib may import it.
package secret

// Token is a type of an internal package.
type Token string
