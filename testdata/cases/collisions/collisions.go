// Package collisions uses the names the generated code needs: parameters
// named like its locals and like its imports, a package-level name that an
// import would take, and a type named like a generated message.
package collisions

import (
	"context"
	stdruntime "runtime"
)

//go:generate go tool dispatchgen

// runtime is a package-level name, so the generated file must import the
// dispatchgen runtime under another.
var runtime = stdruntime.GOOS

// loaderGet is named like the message type of Loader.Get.
type loaderGet struct{}

// Loader uses names the generated code uses too.
//
//dispatch:recipient
type Loader interface {
	Get(ctx context.Context, r, m, res, err string) (string, error)
	Put(context context.Context, runtime, Method, Run int, d bool) (string, error)
	Many(ctx context.Context, key string, p0 int, _ int) (r0 string, r1 int, err error)
}

var _ = loaderGet{}
