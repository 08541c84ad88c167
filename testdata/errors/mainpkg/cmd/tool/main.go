// Tool is a program with an interface of its own.
package main

import "context"

// Server serves.
type Server interface {
	Serve(ctx context.Context) error
}

func main() {}
