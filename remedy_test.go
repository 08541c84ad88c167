package dispatchgen_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/internal/cli"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

const remedyStore = `package r

import "context"

type Store interface {
	Get(ctx context.Context, key string) (string, error)
}
`

// TestRemediesRun follows the remedy each refusal prints, as a user who
// pastes it would: the printed flag, command line or annotation is put
// where the message says, and the run must then succeed and its result
// build. A remedy that does not parse, or that leads to the same refusal,
// fails here.
func TestRemediesRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		args  []string
		// remedy finds the remedy in the refusal, as its first group.
		remedy string
		// apply makes the next run of the remedy: its arguments, and the
		// files it changes in dir.
		apply func(t *testing.T, dir string, args []string, remedy string) []string
		// made is a file the run following the remedy must write, and
		// want what it must hold besides: what the remedy should keep.
		made, want string
	}{{
		name:   "-type that renames clashes",
		files:  map[string]string{"a.go": remedyStore},
		args:   []string{"-type", "Store,io.Reader=Store"},
		remedy: `as in -type (\S+)$`,
		apply:  replaceType,
		made:   "iostore_dispatch.go",
	}, {
		name:   "-type clashes with the name the remedy would take",
		files:  map[string]string{"a.go": remedyStore + "\ntype IOStore interface {\n\tPut(ctx context.Context, key string) error\n}\n"},
		args:   []string{"-type", "Store,IOStore,io.Reader=Store"},
		remedy: `as in -type (\S+)$`,
		apply:  replaceType,
		made:   "iostore2_dispatch.go",
	}, {
		name:   "-type of two packages clashes",
		files:  map[string]string{"a.go": "package r\n"},
		args:   []string{"-type", "io/fs.File,net/http.File"},
		remedy: `as in -type (\S+)$`,
		apply:  replaceType,
		made:   "httpfile_dispatch.go",
	}, {
		name:   "flags after the packages",
		files:  map[string]string{"a.go": annotated(remedyStore, "")},
		args:   []string{"./", "-async=Later", "./", "-output", "x.go"},
		remedy: `as in dispatchgen (.+)$`,
		apply:  commandLine,
		made:   "x.go",
	}, {
		name:   "a flag's value with a space, after the packages",
		files:  map[string]string{"a.go": annotated(remedyStore, "")},
		args:   []string{".", "-output", "my store.go"},
		remedy: `as in dispatchgen (.+)$`,
		apply:  commandLine,
		made:   "my store.go",
	}, {
		name:   "-type of a method without a final error",
		files:  map[string]string{"a.go": "package r\n"},
		args:   []string{"-type", "fmt.Stringer"},
		remedy: `generate it with (\S+), under which`,
		apply:  addFlag,
		made:   "stringer_dispatch.go",
	}, {
		name:   "annotated method without a final error",
		files:  map[string]string{"a.go": annotated("package r\n\ntype Namer interface {\n\tName() string\n}\n", "")},
		remedy: `let the Ref panic instead with (//dispatch:recipient.*)$`,
		apply:  replaceAnnotation,
		made:   "namer_dispatch.go",
	}, {
		name:   "annotated method without a final error, with another option",
		files:  map[string]string{"a.go": annotated("package r\n\ntype Namer interface {\n\tName() string\n}\n", " async=Later")},
		remedy: `let the Ref panic instead with (//dispatch:recipient.*)$`,
		apply:  replaceAnnotation,
		made:   "namer_dispatch.go",
		want:   "NameLater(",
	}, {
		name:   "-type whose asynchronous variant collides",
		files:  map[string]string{"a.go": remedyStore[:len(remedyStore)-2] + "\tGetAsync(ctx context.Context, key string) (string, error)\n}\n"},
		args:   []string{"-type", "Store"},
		remedy: `as in (-async=\S+)$`,
		apply:  addFlag,
		made:   "store_dispatch.go",
	}, {
		name:   "annotated asynchronous variant collides",
		files:  map[string]string{"a.go": annotated(remedyStore[:len(remedyStore)-2]+"\tGetAsync(ctx context.Context, key string) (string, error)\n}\n", "")},
		remedy: `as in (//dispatch:recipient.*)$`,
		apply:  replaceAnnotation,
		made:   "store_dispatch.go",
	}, {
		name:   "annotated asynchronous variant collides, with another option",
		files:  map[string]string{"a.go": annotated(remedyStore[:len(remedyStore)-2]+"\tGetAsync(ctx context.Context, key string) (string, error)\n\tSize() int\n}\n", " noerror=panic")},
		remedy: `as in (//dispatch:recipient.*)$`,
		apply:  replaceAnnotation,
		made:   "store_dispatch.go",
		want:   "SizeFuture(",
	}, {
		name:   "-type whose asynchronous variant collides under the suffix the remedy would take too",
		files:  map[string]string{"a.go": remedyStore[:len(remedyStore)-2] + "\tGetAsync(ctx context.Context, key string) (string, error)\n\tGetFuture(ctx context.Context, key string) (string, error)\n}\n"},
		args:   []string{"-type", "Store"},
		remedy: `as in (-async=\S+)$`,
		apply:  addFlag,
		made:   "store_dispatch.go",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testmod.Write(t, dir, "example.com/r", tc.files)
			t.Setenv("GOFLAGS", "-mod=mod")
			t.Setenv("GOFILE", "")
			t.Setenv("GOLINE", "")
			t.Chdir(dir)
			var stderr bytes.Buffer
			if code := cli.Main(tc.args, &stderr, &stderr); code == 0 {
				t.Fatalf("dispatchgen %s succeeded, want a refusal", join(tc.args))
			}
			m := regexp.MustCompile("(?m)" + tc.remedy).FindStringSubmatch(stderr.String())
			if m == nil {
				t.Fatalf("dispatchgen %s printed no remedy matching %s:\n%s", join(tc.args), tc.remedy, stderr.String())
			}
			args := tc.apply(t, dir, tc.args, m[1])
			stderr.Reset()
			if code := cli.Main(args, &stderr, &stderr); code != 0 {
				t.Fatalf("following the remedy %q, dispatchgen %s exited %d:\n%s", m[1], join(args), code, stderr.String())
			}
			made, err := os.ReadFile(filepath.Join(dir, tc.made))
			if err != nil {
				t.Errorf("following the remedy %q: %v", m[1], err)
			}
			if !bytes.Contains(made, []byte(tc.want)) {
				t.Errorf("following the remedy %q, %s has no %s: the remedy lost what the run had", m[1], tc.made, tc.want)
			}
			if out, err := exec.Command("go", "vet", "./...").CombinedOutput(); err != nil {
				t.Errorf("following the remedy %q, go vet: %v\n%s", m[1], err, out)
			}
		})
	}
}

// annotated puts the annotation, with options, on the first interface of
// src.
func annotated(src, options string) string {
	i := strings.Index(src, "\ntype ")
	return src[:i+1] + "//dispatch:recipient" + options + "\n" + src[i+1:]
}

// replaceType puts remedy, one name of -type, in place of the name of the
// same type in the -type list of args.
func replaceType(t *testing.T, _ string, args []string, remedy string) []string {
	typ, _, _ := strings.Cut(remedy, "=")
	out := append([]string{}, args...)
	for i := range out {
		if i == 0 || out[i-1] != "-type" {
			continue
		}
		names := strings.Split(out[i], ",")
		replaced := false
		for j, n := range names {
			if before, _, _ := strings.Cut(n, "="); before == typ && !replaced {
				names[j], replaced = remedy, true
			}
		}
		if !replaced {
			t.Fatalf("the remedy -type %s names no type of -type %s", remedy, out[i])
		}
		out[i] = strings.Join(names, ",")
		return out
	}
	t.Fatalf("no -type in %s", join(args))
	return nil
}

// addFlag puts the remedy, a flag, before args.
func addFlag(_ *testing.T, _ string, args []string, remedy string) []string {
	return append([]string{remedy}, args...)
}

// replaceAnnotation puts the remedy, an annotation, in place of the one of
// a.go, or above the first interface where it has none.
func replaceAnnotation(t *testing.T, dir string, args []string, remedy string) []string {
	path := filepath.Join(dir, "a.go")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "//dispatch:recipient") {
			lines[i] = remedy
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return args
}

// commandLine splits the remedy, a command line after the program's name,
// into its arguments as go generate does: a double-quoted string, in Go's
// syntax, is one argument.
func commandLine(t *testing.T, _ string, _ []string, remedy string) []string {
	var args []string
	for rest := strings.TrimSpace(remedy); rest != ""; rest = strings.TrimLeft(rest, " ") {
		if rest[0] == '"' {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("remedy %s: %v", remedy, err)
			}
			arg, _ := strconv.Unquote(q)
			args = append(args, arg)
			rest = rest[len(q):]
			continue
		}
		word, after, _ := strings.Cut(rest, " ")
		args = append(args, word)
		rest = after
	}
	return args
}
