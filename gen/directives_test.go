package gen

import (
	"strings"
	"testing"
)

// TestGenerateLinesOf checks which //go:generate lines -check holds a
// package to, with the flags it reads from each, as go generate would run
// them: directly, through a path, go tool, go run of the package, or a
// -command alias; and which it leaves out.
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
	}, "\n")
	diags := &Diagnostics{}
	var got []string
	for _, gl := range generateLinesOf("p.go", []byte(src), diags) {
		got = append(got, strings.TrimPrefix(gl.at.FlagsPos.String(), "p.go:")+" "+shownLine(gl.line))
	}
	want := []string{
		"2:1 dispatchgen -output=a.go",
		"3:1 dispatchgen -async=B",
		"4:1 dispatchgen -noerror=panic",
		"5:1 dispatchgen -type=io.Reader",
		`6:1 dispatchgen "-output=c d.go"`,
		"8:1 dispatchgen -output=e.go -remote",
		"9:1 dispatchgen",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(diags.List) != 1 || diags.List[0].Pos.Line != 14 || !strings.Contains(diags.List[0].Msg, "do not parse") {
		t.Errorf("diagnostics %+v, want one at line 14 for -nosuchflag", diags.List)
	}
}
