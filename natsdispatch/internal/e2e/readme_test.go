package e2e

import (
	"os"
	"strings"
	"testing"
)

// The repository's README shows ToolServer as toolbox.go declares it, in
// its section "Across processes", so that the snippet never drifts from the
// interface these tests generate and run.
func TestReadmeQuotesToolServer(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("toolbox.go")
	if err != nil {
		t.Fatal(err)
	}
	const start = "//dispatch:recipient remote\n"
	i := strings.Index(string(src), start)
	j := strings.Index(string(src[i:]), "\n}\n")
	if i < 0 || j < 0 {
		t.Fatal("toolbox.go declares no ToolServer annotated remote")
	}
	decl := string(src[i : i+j+3])
	section := string(readme)
	if k := strings.Index(section, "## Across processes\n"); k >= 0 {
		section = section[k:]
	} else {
		t.Fatal(`README.md has no section "Across processes"`)
	}
	if !strings.Contains(section, "```go\n"+decl+"```\n") {
		t.Errorf("README.md's section Across processes does not quote ToolServer as toolbox.go declares it:\n%s", decl)
	}
}
