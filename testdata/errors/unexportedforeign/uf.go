package unexportedforeign

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/testdata/errors/unexportedforeign/helper.Keeper
