package gen

import (
	gobuild "go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGenerateLinesOf checks which //go:generate lines -check holds a
// package to, with the flags it reads from each, as go generate would run
// them: directly, through a path, go tool, go run of the package, or a
// -command alias, with the variables go generate sets expanded; and which
// it leaves out.
func TestGenerateLinesOf(t *testing.T) {
	src := strings.Join([]string{
		"package p",
		"//go:generate dispatchgen -output=a.go",
		"//go:generate ../bin/dispatchgen -async=B",
		"//go:generate go tool dispatchgen -noerror=panic",
		"//go:generate go run github.com/dispatchgen/dispatchgen/cmd/dispatchgen@v1.2.0 -type io.Reader",
		"//go:generate go run -mod=mod github.com/dispatchgen/dispatchgen/cmd/dispatchgen -output \"c d.go\"",
		"//go:generate -command gen go tool dispatchgen -remote",
		"//go:generate gen -output=e.go",
		"//go:generate\tdispatchgen .",
		"//go:generate dispatchgen -check",
		"//go:generate dispatchgen ./sub",
		"//go:generate dispatchgen -output=$GOPACKAGE.go",
		"//go:generate stringer -type T",
		"//go:generate dispatchgen -nosuchflag",
		"// go:generate dispatchgen -output=f.go",
		"//go:generate dispatchgen -output=$HOME.go",
		"//go:generate dispatchgen -output=${GOFILE}_$GOLINE.go",
	}, "\n")
	diags := &Diagnostics{}
	lines := generateLinesOf(gobuild.Default, "p.go", []byte(src), diags)
	var got, naming []string
	for _, gl := range ownLines(lines) {
		got = append(got, strings.TrimPrefix(gl.at.FlagsPos.String(), "p.go:")+" "+shownLine(gl.line))
	}
	for _, gl := range lines {
		if len(gl.patterns) > 0 {
			naming = append(naming, strings.TrimPrefix(gl.at.FlagsPos.String(), "p.go:")+" "+strings.Join(gl.patterns, " "))
		}
	}
	if want := []string{"11:1 ./sub"}; !slices.Equal(naming, want) {
		t.Errorf("lines naming packages: %q, want %q", naming, want)
	}
	want := []string{
		"2:1 dispatchgen -output=a.go",
		"3:1 dispatchgen -async=B",
		"4:1 dispatchgen -noerror=panic",
		"5:1 dispatchgen -type=io.Reader",
		`6:1 dispatchgen "-output=c d.go"`,
		"8:1 dispatchgen -output=e.go -remote",
		"9:1 dispatchgen",
		"12:1 dispatchgen -output=p.go",
		"17:1 dispatchgen -output=p.go_17.go",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(diags.List) != 1 || diags.List[0].Pos.Line != 14 || !strings.Contains(diags.List[0].Msg, "do not parse") {
		t.Errorf("diagnostics %+v, want one at line 14 for -nosuchflag", diags.List)
	}
}

// A //go:generate line's package patterns name packages as the go command
// reads them, relative ones from the line's directory.
func TestNames(t *testing.T) {
	from, dir, pkg := filepath.FromSlash("/m/app"), filepath.FromSlash("/m/app/sub/x"), "example.com/m/app/sub/x"
	for _, c := range []struct {
		pattern string
		want    bool
	}{
		{"./sub/x", true}, {"./sub/...", true}, {"./...", true}, {"./sub", false}, {"./su/...", false},
		{"../app/sub/x", true}, {"..", false}, {"../...", true}, {"./sub/x/...", true},
		{"example.com/m/app/sub/x", true}, {"example.com/m/...", true}, {"example.com/m/app/s/...", false},
		{"example.com/m/app/sub", false}, {"all", true}, {"...", true}, {"io", false},
	} {
		if got := names(c.pattern, from, dir, pkg); got != c.want {
			t.Errorf("names(%q) = %v, want %v", c.pattern, got, c.want)
		}
	}
}
