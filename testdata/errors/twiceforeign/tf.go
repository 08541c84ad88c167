package twiceforeign

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/testdata/errors/twiceforeign/helper.Swapper
