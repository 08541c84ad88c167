// Package e2e is a recipient interface annotated //dispatch:recipient
// remote, with the dispatcher dispatchgen generates for it, for
// natsdispatch's end-to-end tests and benchmarks: generated dispatchers in
// nodes on separate connections to one server, as in separate processes.
package e2e

import "context"

//go:generate go tool dispatchgen

// Args are what a tool is called with.
type Args struct {
	N    int
	Text string
}

// Result is what a tool returns: the key and the node that served the
// call, and the arguments it was given.
type Result struct {
	Key  string
	Node string
	N    int
	Text string
}

// ToolServer is a server of tools, registered under its name in one process
// and called from any.
//
//dispatch:recipient remote
type ToolServer interface {
	// CallTool runs the tool name with args.
	CallTool(ctx context.Context, name string, args Args) (Result, error)
	// Notify tells the server of args, one-way.
	Notify(ctx context.Context, args Args)
	// Fail returns the error that name names.
	Fail(ctx context.Context, name string) error
	// Hop calls Hop on the server under the first key of path with the rest
	// of path, and returns the keys that served, the last first.
	Hop(ctx context.Context, path []string) ([]string, error)
}
