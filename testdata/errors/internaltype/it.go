package internaltype

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/testdata/errors/internaltype/lib.Store
