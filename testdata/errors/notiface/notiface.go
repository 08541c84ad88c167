package notiface

//go:generate go tool dispatchgen

// Server is a struct, not an interface.
//
//dispatch:recipient
type Server struct{}
