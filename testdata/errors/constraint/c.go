package constraint

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/testdata/errors/constraint/lib.Thermo,github.com/dispatchgen/dispatchgen/testdata/errors/constraint/lib.Plain
