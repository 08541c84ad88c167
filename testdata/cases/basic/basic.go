// Package basic is the plain case: synchronous, asynchronous and one-way
// methods, a method with several results and one with only an error.
package basic

import "context"

//go:generate go tool dispatchgen

// Tool describes a tool.
type Tool struct{ Name string }

// Result is what a tool call returns.
type Result struct {
	Server string
	Text   string
}

// Event is a notification.
type Event struct{ Kind string }

// ToolServer is one tool server.
//
//dispatch:recipient
type ToolServer interface {
	ListTools(ctx context.Context) ([]Tool, error)
	CallTool(ctx context.Context, name string, args map[string]any) (Result, error)
	Notify(ctx context.Context, ev Event)
	Counts(ctx context.Context) (calls int, notes int, err error)
	Reset(ctx context.Context) error
}
