package gen

import (
	gobuild "go/build"
	"io"
	"strings"
)

// buildProblem says why the go command would not always build a file
// named name into its package, or returns "": a dispatcher that builds
// only sometimes is a build failure waiting for the platform or the test
// run that leaves it out.
func buildProblem(name string) string {
	switch {
	case !strings.HasSuffix(name, ".go"):
		return "not a .go file"
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "."):
		return "the go command ignores files whose names start with _ or a dot"
	case strings.HasSuffix(name, "_test.go"):
		return "a test file, which only go test builds"
	}
	// go/build holds the GOOS and GOARCH suffixes; a context with neither
	// matches a file only if its name asks for no system.
	ctxt := gobuild.Context{
		GOOS: "nosystem", GOARCH: "noarch", Compiler: "gc",
		OpenFile: func(string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("package p\n")), nil
		},
	}
	if ok, err := ctxt.MatchFile(".", name); err == nil && !ok {
		return "its name makes it build for some systems or architectures only"
	}
	return ""
}
