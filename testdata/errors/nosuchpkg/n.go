package nosuchpkg

//go:generate go tool dispatchgen -type nosuch/pkg.X,example.com/nosuch.Y
