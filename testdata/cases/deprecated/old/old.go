// Package old has deprecated declarations, which a dispatcher of its
// interface must name all the same.
package old

import "context"

// Endpoint is an endpoint.
//
// Deprecated: use URLs.
type Endpoint struct{ URL string }

// Resolver resolves endpoints.
//
// Deprecated: resolve URLs instead.
type Resolver interface {
	Resolve(ctx context.Context, region string) (Endpoint, error)
	// Legacy is the old way.
	//
	// Deprecated: use Resolve.
	Legacy(ctx context.Context) error
}
