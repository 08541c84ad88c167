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

// BenchmarkGenerate times dispatchgen against go vet on the same package:
// one with a 600-method interface shaped like go-redis's Cmdable (with an
// error added to each method's results), and one with 100 interfaces of 5
// methods. Each iteration changes a comment first, so that neither is
// answered from the build cache. Compare the two within one run:
//
//	go test -run '^$' -bench Generate .
func BenchmarkGenerate(b *testing.B) {
	b.Run("cmdable600", func(b *testing.B) { benchGenerate(b, cmdable(600)) })
	b.Run("many100", func(b *testing.B) { benchGenerate(b, manyInterfaces(100)) })
}

func benchGenerate(b *testing.B, src string) {
	dir := b.TempDir()
	testmod.Write(b, dir, "example.com/many", map[string]string{"many.go": src})
	b.Setenv("GOFLAGS", "-mod=mod")
	if _, err := gen.Run(gen.Config{Dir: dir}); err != nil {
		b.Fatal(err)
	}
	touch := func() {
		// A comment never written before, so no run hits the build cache.
		must(b, os.WriteFile(filepath.Join(dir, "touch.go"), fmt.Appendf(nil, "package many\n\n// %d\n", time.Now().UnixNano()), 0o644))
	}
	b.Run("dispatchgen", func(b *testing.B) {
		for b.Loop() {
			touch()
			if _, err := gen.Run(gen.Config{Dir: dir}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-vet", func(b *testing.B) {
		for b.Loop() {
			touch()
			cmd := exec.Command("go", "vet", ".")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("go vet: %v\n%s", err, out)
			}
		}
	})
}

// cmdableShapes are the signatures of go-redis's Cmdable, each with an error
// added to its results, that cmdable repeats; %d numbers the method.
var cmdableShapes = []string{
	"Get%d(ctx context.Context, key string) (*StringCmd, error)",
	"Set%d(ctx context.Context, key string, value interface{}, expiration time.Duration) (*StatusCmd, error)",
	"Del%d(ctx context.Context, keys ...string) (*IntCmd, error)",
	"HSet%d(ctx context.Context, key string, values ...interface{}) (*IntCmd, error)",
	"HGetAll%d(ctx context.Context, key string) (*MapStringStringCmd, error)",
	"ZAdd%d(ctx context.Context, key string, members ...Z) (*IntCmd, error)",
	"ZRangeArgs%d(ctx context.Context, z ZRangeArgs) (*StringSliceCmd, error)",
	"Scan%d(ctx context.Context, cursor uint64, match string, count int64) (*ScanCmd, error)",
	"Expire%d(ctx context.Context, key string, expiration time.Duration) (*BoolCmd, error)",
	"Eval%d(ctx context.Context, script string, keys []string, args ...interface{}) (*Cmd, error)",
	"FlushAll%d(ctx context.Context) (*StatusCmd, error)",
	"Publish%d(ctx context.Context, channel string, message interface{}) (*IntCmd, error)",
}

// cmdable returns a package with one annotated interface of n methods.
func cmdable(n int) string {
	var b strings.Builder
	b.WriteString("package many\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n")
	for _, t := range []string{"StringCmd", "StatusCmd", "IntCmd", "BoolCmd", "MapStringStringCmd", "StringSliceCmd", "ScanCmd", "Cmd"} {
		fmt.Fprintf(&b, "// %[1]s is a command's reply.\ntype %[1]s struct{ val string }\n\n", t)
	}
	b.WriteString("// Z is a member of a sorted set.\ntype Z struct {\n\tScore  float64\n\tMember interface{}\n}\n\n")
	b.WriteString("// ZRangeArgs are the arguments of ZRange.\ntype ZRangeArgs struct {\n\tKey   string\n\tStart interface{}\n\tStop  interface{}\n}\n\n")
	b.WriteString("// Cmdable is every command of a store.\n//\n//dispatch:recipient\ntype Cmdable interface {\n")
	for i := range n {
		fmt.Fprintf(&b, "\t"+cmdableShapes[i%len(cmdableShapes)]+"\n", i/len(cmdableShapes))
	}
	b.WriteString("}\n")
	return b.String()
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
