package gen

import (
	"go/token"
	"path/filepath"
	"testing"
)

// TestDiagnosticFormat checks that a diagnostic shows only the position it
// knows: a file without a line is no file:1:1.
func TestDiagnosticFormat(t *testing.T) {
	dir := filepath.FromSlash("/m")
	for _, c := range []struct {
		pos  token.Position
		want string
	}{
		{token.Position{Filename: filepath.FromSlash("/m/a.go"), Line: 3, Column: 7}, "a.go:3:7: bad"},
		{token.Position{Filename: filepath.FromSlash("/m/a.go"), Line: 3}, "a.go:3:1: bad"},
		{token.Position{Filename: filepath.FromSlash("/m/a.go")}, "a.go: bad"},
		{token.Position{}, "dispatchgen: bad"},
	} {
		if got := (Diagnostic{Pos: c.pos, Msg: "bad"}).format(dir); got != c.want {
			t.Errorf("format(%v) = %q, want %q", c.pos, got, c.want)
		}
	}
}
