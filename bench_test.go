package dispatchgen_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/gen"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

// BenchmarkGenerate times dispatchgen on a package with 100 annotated
// interfaces against go vet on the same package. Each iteration changes a
// comment first, so that neither is answered from the build cache.
//
//	go test -run '^$' -bench Generate .
func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	testmod.Write(b, dir, "example.com/many", map[string]string{"many.go": manyInterfaces(100)})
	b.Setenv("GOFLAGS", "-mod=mod")
	if _, err := gen.Run(gen.Config{Dir: dir}); err != nil {
		b.Fatal(err)
	}
	touch := func(int) {
		// A comment never written before, so no run hits the build cache.
		must(b, os.WriteFile(filepath.Join(dir, "touch.go"), fmt.Appendf(nil, "package many\n\n// %d\n", time.Now().UnixNano()), 0o644))
	}
	b.Run("dispatchgen", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			touch(i)
			if _, err := gen.Run(gen.Config{Dir: dir}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-vet", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			touch(i)
			cmd := exec.Command("go", "vet", ".")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("go vet: %v\n%s", err, out)
			}
		}
	})
}

// manyInterfaces returns a package with n annotated interfaces.
func manyInterfaces(n int) string {
	var b strings.Builder
	b.WriteString("package many\n\nimport (\n\t\"context\"\n\t\"io\"\n\t\"time\"\n)\n\n")
	for i := range n {
		fmt.Fprintf(&b, `// Service%[1]d is one of many.
//
//dispatch:recipient
type Service%[1]d interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Stat(ctx context.Context, key string) (size int64, modified time.Time, err error)
	Copy(ctx context.Context, w io.Writer, keys ...string) (int64, error)
	Notify(ctx context.Context, event string)
}

`, i)
	}
	return b.String()
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
