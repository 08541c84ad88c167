package gen

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestRunKeepsMode checks that a run that regenerates a file keeps the
// permissions its owner gave it, as a user who made it read-only, or
// writable by a group that shares the tree, expects; a new file is 0644.
func TestRunKeepsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	for _, mode := range []fs.FileMode{0o444, 0o664, 0o600} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := tempModule(t, map[string]string{"store/store.go": storeSrc})
			cfg := Config{Dir: filepath.Join(dir, "store")}
			out := filepath.Join(dir, "store", "store_dispatch.go")
			if _, err := Run(cfg); err != nil {
				t.Fatal(err)
			}
			if got := perm(t, out); got != 0o644 {
				t.Errorf("new file: mode %v, want %v", got, fs.FileMode(0o644))
			}
			before, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(out, mode); err != nil {
				t.Fatal(err)
			}
			// A method more, so that the run replaces the file.
			src := storeSrc[:len(storeSrc)-2] + "\tDelete(ctx context.Context, key string) error\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "store", "store.go"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Run(cfg); err != nil {
				t.Fatal(err)
			}
			after, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(before, after) {
				t.Fatal("the second run did not replace the file")
			}
			if got := perm(t, out); got != mode {
				t.Errorf("replaced file: mode %v, want %v as before", got, mode)
			}
		})
	}
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
