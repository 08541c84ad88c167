package mainpkg

//go:generate go tool dispatchgen -type github.com/dispatchgen/dispatchgen/testdata/errors/mainpkg/cmd/tool.Server
