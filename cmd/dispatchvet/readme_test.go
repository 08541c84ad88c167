package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The README shows what dispatchvet prints for examples/toolservers, run
// from examples/: it must be what dispatchvet prints there now, so that the
// lines it quotes never drift from the example's code.
func TestReadmeOutput(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "toolservers/sharedqueue.go:"
	var want []string
	for block := range strings.SplitSeq(string(readme), "```") {
		if strings.Contains(block, marker) {
			for line := range strings.Lines(strings.TrimPrefix(block, "\n")) {
				want = append(want, strings.TrimSuffix(line, "\n"))
			}
			break
		}
	}
	if want == nil {
		t.Fatalf("README.md quotes no output holding %q", marker)
	}
	out, code := runIn(t, filepath.Join("..", "..", "examples"), dispatchvet, "./toolservers")
	if code != 1 {
		t.Fatalf("exit status %d, want go vet's 1 (something reported)\n%s", code, out)
	}
	var got []string
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "#") && !slices.Contains(got, strings.TrimSuffix(line, "\n")) { // the test variant repeats them
			got = append(got, strings.TrimSuffix(line, "\n"))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("README.md shows\n%s\ndispatchvet prints\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}
