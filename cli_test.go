package dispatchgen_test

import (
	"bytes"
	"testing"

	"github.com/dispatchgen/dispatchgen/internal/cli"
)

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		args []string
		want int
	}{
		{"testdata/cases/basic", []string{"-nosuchflag"}, 2},
		{"testdata/cases/basic", []string{"-type", "a b"}, 2},
		{"testdata/cases/basic", []string{"-check"}, 0},
		{"testdata/cases/basic", []string{"-version"}, 0},
		{"testdata/errors/noerror", nil, 1},
	} {
		t.Run(tc.dir+" "+join(tc.args), func(t *testing.T) {
			t.Chdir(tc.dir)
			var out bytes.Buffer
			if got := cli.Main(tc.args, &out, &out); got != tc.want {
				t.Errorf("exit status %d, want %d\n%s", got, tc.want, out.String())
			}
		})
	}
}

func join(args []string) string {
	var b bytes.Buffer
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a)
	}
	return b.String()
}
