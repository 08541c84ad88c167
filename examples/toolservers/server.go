package main

import (
	"context"
	"errors"
	"sort"
)

// server is a ToolServer whose state is plain maps and counters: safe only
// because the dispatcher never runs two of its methods at once.
type server struct {
	name   string
	memory map[string]int // what the "remember" tool stored
	calls  int            // CallTool calls handled
	notes  int            // notifications handled
}

func newServer(name string) *server {
	return &server{name: name, memory: map[string]int{}}
}

func (s *server) ListTools(context.Context) ([]string, error) {
	tools := []string{"add", "remember", "recall", "boom"}
	sort.Strings(tools)
	return tools, nil
}

// errNoTool is the error of a call to a tool the server does not have.
var errNoTool = errors.New("no such tool")

func (s *server) CallTool(_ context.Context, name string, args map[string]int) (Result, error) {
	s.calls++
	switch name {
	case "add":
		return Result{Server: s.name, Value: args["a"] + args["b"]}, nil
	case "remember":
		s.memory[args2key(args)] = args["v"]
		return Result{Server: s.name, Value: len(s.memory)}, nil
	case "recall":
		return Result{Server: s.name, Value: s.memory[args2key(args)]}, nil
	case "boom":
		panic("the boom tool always panics")
	}
	return Result{}, errNoTool
}

func (s *server) Notify(_ context.Context, ev Event) {
	if ev.Kind != "" {
		s.notes++
	}
}

func args2key(args map[string]int) string {
	return string(rune('a' + args["k"]%26))
}
