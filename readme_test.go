package dispatchgen_test

import (
	"os"
	"strings"
	"testing"
)

// The README shows the interface of examples/toolservers as that example
// declares it, so that its snippet never drifts from code that builds.
func TestReadmeQuotesExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("examples/toolservers/main.go")
	if err != nil {
		t.Fatal(err)
	}
	const decl = "type ToolServer interface {"
	snippet := block(t, string(readme), "```go\n", "```\n", decl)
	want := block(t, string(src), "//go:generate", "\n}\n", decl)
	if snippet != want {
		t.Errorf("README.md quotes the interface as\n%s\nexamples/toolservers/main.go declares\n%s", snippet, want)
	}
}

// block returns the text of s from start, up to and including end, of the
// first such block that holds inner; start itself is left out when it ends
// in a newline.
func block(t *testing.T, s, start, end, inner string) string {
	t.Helper()
	for rest := s; ; {
		i := strings.Index(rest, start)
		if i < 0 {
			t.Fatalf("no block %q … %q holding %q", start, end, inner)
		}
		rest = rest[i:]
		j := strings.Index(rest, end)
		if j < 0 {
			t.Fatalf("block %q is not closed by %q", start, end)
		}
		b := rest[:j+len(end)]
		if strings.Contains(b, inner) {
			if strings.HasSuffix(start, "\n") {
				b = strings.TrimPrefix(b, start)
			}
			return strings.TrimSuffix(strings.TrimSuffix(b, "```\n"), "\n")
		}
		rest = rest[len(start):]
	}
}
