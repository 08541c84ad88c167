package unexportedforeign

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/cmd/dispatchgen/testdata/errors/unexportedforeign/helper.Keeper
