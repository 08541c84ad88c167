// Package asyncsuffix has interfaces with methods X and XAsync, as nats.go's
// jetstream.Publisher and go-redis's Cmdable have: the suffix of the
// generated asynchronous variants is chosen with async=.
package asyncsuffix

import "context"

//go:generate go tool dispatchgen

// Publisher publishes now or later.
//
//dispatch:recipient async=Future
type Publisher interface {
	Publish(ctx context.Context, subject string, data []byte) (int, error)
	PublishAsync(ctx context.Context, subject string, data []byte) (int, error)
}
