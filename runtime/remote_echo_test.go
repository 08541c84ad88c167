package runtime_test

import "context"

// Echo is the remote recipient interface of the runtime's tests, whose
// dispatcher remote_dispatch_test.go holds, generated with -remote.
type Echo interface {
	// Say answers text, as its recipient sees it.
	Say(ctx context.Context, text string) (string, error)
	// Relay asks the recipient under to to Say text, with ctx.
	Relay(ctx context.Context, to string, text string) (string, error)
	// Note records text, one-way.
	Note(ctx context.Context, text string)
}
