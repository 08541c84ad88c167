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
// *runtime.Future. Add the command to your module with
//
//	go get -tool github.com/dispatchgen/dispatchgen/cmd/dispatchgen
//
// # Usage
//
//	dispatchgen [flags] [packages]
//
// The packages are go/packages patterns, "." by default. Flags go before
// them. The flags are:
//
//	-type A,B
//		generate for these interfaces instead of the annotated ones. A
//		qualified name (io.ReadWriteCloser, example.com/pkg.Store) names
//		another package's interface, generated into the package in the
//		current directory. Name=NewName generates an interface under
//		another name: -type io/fs.File=FSFile makes FSFileDispatcher,
//		FSFileRef and fsfile_dispatch.go, which two interfaces of one name
//		need. A name given twice is generated once.
//	-noerror=panic
//		generate methods that have results but no final error; see below.
//	-async=Suffix
//		the suffix of the asynchronous variants' names, Async by default.
//	-remote
//		generate the wire side too, as the remote option does; see below.
//	-output file
//		write every dispatcher of the run to this file, in the package's
//		directory, instead of <lowercased type>_dispatch.go beside each
//		interface. It must be a .go file that every build of the package
//		compiles: not a test file, nor one whose name starts with _ or a
//		dot or ends in a GOOS or GOARCH (x_windows.go). The interfaces
//		it holds must be declared under one build constraint, since the
//		file builds only where they all do.
//	-tags a,b
//		build tags to load the packages with.
//	-check
//		write nothing; list the generated files that are missing, stale or
//		left over, and exit 1 if there are any.
//	-diff
//		write nothing; print what a run would change as a unified diff, and
//		exit 1 if it would change anything.
//	-version
//		print the version and exit.
//
// # The annotation
//
// The annotation goes in the doc comment of an interface type declaration,
// or of a group of them (type ( … )), where it applies to each interface of
// the group. It takes options, separated by spaces:
//
//	//dispatch:recipient key=UserID
//	//dispatch:recipient noerror=panic async=Future
//	//dispatch:recipient remote key=UserID
//
// key= is the type of the keys recipients are registered under, string by
// default; any comparable type expression, such as
// key=struct{Region string; N int}. noerror=panic and async=Suffix do for the
// interface what -noerror and -async do for a run. A comment that looks meant
// as the annotation but is not read as one, such as //dispatch:recipent or
// // dispatch:recipient, gets a warning.
//
// remote, which takes no value, generates the wire side as well, so that a
// dispatcher made with runtime.WithTransport reaches recipients in other
// processes (the module natsdispatch is a transport over NATS): each method's
// arguments in a struct a codec writes, and the table of methods the serving
// side decodes calls with. Then every parameter and result must be able to
// cross a process, and the generator refuses, where it is written, a chan, a
// func, a complex number, a struct with an unexported field (also through
// pointers, slices, arrays, maps and named types), an interface with methods,
// an error anywhere but as the last result, a map key and a key= type with no
// text form (a string, an integer or an encoding.TextMarshaler has one). Types
// that marshal themselves (MarshalJSON or MarshalText, with their reverse), such
// as time.Time, cross as they marshal. any crosses as the codec decodes it:
// inside any, JSON turns numbers into float64 and structs into
// map[string]any.
//
// # Methods
//
// A method without results is one-way: its Ref sends it and does not wait.
// The first context.Context parameter, if any, carries the call's context.
// A method with results must return error last, since a dispatched call can
// fail: no recipient under the key, closed, a full mailbox, a deadlock, a
// panic. Under noerror=panic (or -noerror=panic), a method with results but
// no final error is generated all the same: when its call fails, the Ref's
// method panics with a *XCallError, whose Key, Method and Err say which call
// failed and why, and whose Unwrap lets errors.Is and errors.As see the cause
// (a runtime sentinel error, the context's error, or a *runtime.PanicError).
// Its asynchronous variant returns that error from its Future instead, and
// does not panic. This is how net.Conn, hash.Hash or slog.Handler, whose
// methods cannot return the error, are served one call at a time.
//
// The asynchronous variant of M is MAsync, unless the interface already has
// a method of that name (nats.go's jetstream.Publisher has Publish and
// PublishAsync): then choose another suffix with async=Future, which makes
// PublishFuture and PublishAsyncFuture.
//
// # Generated files
//
// Generated files start with the line
//
//	// Code generated by dispatchgen. DO NOT EDIT.
//
// When flags made the file, they follow on a line of their own, as the file's
// package directory would give them:
//
//	// dispatchgen -type=io.ReadWriteCloser -noerror=panic
//
// -check and -diff redo every generated file of the packages with the flags
// it records, whatever flags they are given themselves, so that
// dispatchgen -check ./... in CI finds every stale file; an interface that no
// generated file holds yet they do with their own flags. -check also reads
// the //go:generate lines of each package that run dispatchgen on it: a
// line whose files were not generated with its flags (after its flags
// changed and before go generate ran) is reported at the line, and in a
// package with such lines a generated file that none of them makes is left
// over. A run removes the
// files that a run with its flags generated before and that its interfaces
// no longer produce, such as those of an interface renamed since; it never
// touches files that other runs made, nor files it did not generate. Under go
// generate, which reads each file of a package after the directives before
// it have run, a file that go generate may yet read is emptied instead,
// with the constraint //go:build generate, a tag only go generate sets, and
// holds a copy of the directive, which removes it when go generate reads it,
// this time or the next; one in the directory of another package is emptied
// with //go:build ignore and removed by the next run. A file whose code names deprecated declarations of other packages says so to
// staticcheck with //lint:file-ignore SA1019, since its interface names them
// first, and the Ref's methods repeat a method's deprecation notice.
//
// Generated files carry the build constraint //go:build !dispatchgen.
// Dispatchgen loads packages with the build tag dispatchgen set, so the files
// it is about to replace, however stale, take no part in loading them, and go
// list compiles only the package's own code. Do not set that tag in your
// builds.
//
// A generated file builds where its interfaces do: its //go:build line ANDs
// !dispatchgen with the constraints of the files they are declared in, each
// file's //go:build line and its name's _GOOS or _GOARCH suffix, so that the
// file of an interface in store_linux.go reads //go:build !dispatchgen &&
// linux. A run under another GOOS, GOARCH or set of tags, which does not see
// such an interface, leaves its file alone: neither left over nor stale. It
// replaces it only with a file that builds wherever it did, and otherwise
// refuses. Since go tool builds the tool for the GOOS and GOARCH it is given,
// GOOS=darwin go tool dispatchgen fails with "exec format error" on another
// system; run the command built for this machine instead:
//
//	GOOS=darwin $(go tool -n dispatchgen) ./...
//
// # Diagnostics
//
// Each problem with the input is reported on a line of its own that starts
// with file.go:line:col:, so that editors and CI annotate the right place. A
// problem of a -type interface declared outside the module points at the
// //go:generate line that gave the flag (go generate says which in GOFILE and
// GOLINE), or, typed in a shell, starts with "dispatchgen: -type Name:".
// Dispatchgen exits 0 on success, 1 when it reports problems, stale or left
// over files, and 2 on bad usage. It writes nothing when there is any
// problem, and a file only when its content changes.
package main

import (
	"os"

	"github.com/dispatchgen/dispatchgen/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
