// Dispatchgen generates a typed dispatcher for each Go interface annotated
// //dispatch:recipient: one mailbox per registered recipient, served by one
// goroutine at a time, a proxy that implements the same interface, and typed
// futures for asynchronous calls.
//
// Annotate an interface and add a go:generate line:
//
//	//go:generate go tool dispatchgen
//
//	// ToolServer is one tool server.
//	//
//	//dispatch:recipient
//	type ToolServer interface {
//		CallTool(ctx context.Context, name string, args map[string]any) (Result, error)
//		Notify(ctx context.Context, ev Event) // no results: one-way
//	}
//
// Running go generate writes toolserver_dispatch.go beside it, with
// ToolServerDispatcher, NewToolServerDispatcher, ToolServerRef and, for each
// method with results, an Async variant on the Ref that returns a
// *runtime.Future.
//
// Usage:
//
//	dispatchgen [flags] [packages]
//
// The packages are go/packages patterns, "." by default. The flags are:
//
//	-type A,B
//		generate for these interfaces instead of the annotated ones. A
//		qualified name (io.ReadWriteCloser, example.com/pkg.Store) names
//		another package's interface, generated into the package in the
//		current directory.
//	-output file
//		write every dispatcher of the run to this one file, instead of
//		<lowercased type>_dispatch.go beside each interface.
//	-tags a,b
//		build tags to load the packages with.
//	-check
//		write nothing; list the generated files that are missing or stale,
//		and exit 1 if there are any.
//	-version
//		print the version and exit.
//
// The annotation takes one option, the type of the keys recipients are
// registered under (string by default):
//
//	//dispatch:recipient key=UserID
//
// Each problem with the input is reported on a line of its own that starts
// with file.go:line:col:, so that editors and CI annotate the right place.
// Dispatchgen exits 0 on success, 1 when it reports problems or stale files,
// and 2 on bad usage. It writes nothing when there is any problem, and a file
// only when its content changes.
package main

import (
	"errors"
	"fmt"
	"log"
	"os"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("dispatchgen: ")
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err))
}

// exitCode maps run's error to the exit status the documentation promises.
func exitCode(err error) int {
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintln(os.Stderr, "dispatchgen:", err)
	return 1
}
