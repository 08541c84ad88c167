// Package constraint generates dispatchers for another package's generic
// interfaces, whose constraints it cannot name: the generated code spells
// out their type sets instead.
package constraint

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/testdata/cases/constraint/lib.Acc,github.com/dispatchgen/dispatchgen/testdata/cases/constraint/lib.Pair
