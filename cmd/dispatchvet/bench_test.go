package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchDir, if set, is where TestWriteBenchPackage writes the package that
// BenchmarkVet measures, to time the commands by hand:
//
//	go test -run WriteBenchPackage ./cmd/dispatchvet -benchdir /some/dir
//	cd /some/dir && time dispatchvet ./... ; time go vet ./...
var benchDir = flag.String("benchdir", "", "write the benchmark's package to this directory")

// benchLines is how many lines the benchmark's package has, at least.
const benchLines = 100_000

// BenchmarkVet times dispatchvet, by itself and through go vet -vettool, on
// a package of 100 000 lines against go vet with its default analyzers on
// the same package. Each iteration changes a comment first, so that none of
// them is answered from the build cache. Every part of the package has a
// worker loop with a test of identity, so that the analyzer takes its
// slowest path everywhere; a few of them are the bug.
//
//	go test -run '^$' -bench Vet ./cmd/dispatchvet
func BenchmarkVet(b *testing.B) {
	dir := b.TempDir()
	writeBenchPackage(b, dir)
	vet := func(b *testing.B, name string, args ...string) {
		for i := 0; b.Loop(); i++ {
			touch(b, dir)
			cmd := exec.Command(name, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil && !strings.Contains(string(out), "is dropped when") {
				b.Fatalf("%s: %v\n%s", name, err, out)
			}
		}
	}
	b.Run("dispatchvet", func(b *testing.B) { vet(b, dispatchvet, "./...") })
	b.Run("go-vet-vettool", func(b *testing.B) { vet(b, "go", "vet", "-vettool="+dispatchvet, "./...") })
	b.Run("go-vet", func(b *testing.B) { vet(b, "go", "vet", "./...") })
}

// TestWriteBenchPackage writes the benchmark's package to -benchdir.
func TestWriteBenchPackage(t *testing.T) {
	if *benchDir == "" {
		t.Skip("no -benchdir")
	}
	writeBenchPackage(t, *benchDir)
}

// writeBenchPackage writes a module with one package of benchLines lines
// in dir, and checks that dispatchvet reports its bugs and nothing else.
func writeBenchPackage(tb testing.TB, dir string) {
	tb.Helper()
	src, bugs := manyWorkers(benchLines)
	must(tb, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/many\n\ngo 1.26.8\n"), 0o644))
	must(tb, os.WriteFile(filepath.Join(dir, "many.go"), []byte(src), 0o644))
	cmd := exec.Command(dispatchvet, "./...")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	if got := strings.Count(string(out), "is dropped when"); got != bugs {
		tb.Fatalf("dispatchvet reported %d bugs, want %d:\n%s", got, bugs, out)
	}
}

// touch writes a comment never written before, so that no run hits the
// build cache.
func touch(tb testing.TB, dir string) {
	must(tb, os.WriteFile(filepath.Join(dir, "touch.go"), fmt.Appendf(nil, "package many\n\n// %d\n", time.Now().UnixNano()), 0o644))
}

// manyWorkers returns a package of at least lines lines made of parts of
// about a hundred, each with workers on channels of their own, a worker
// pool and plain code; one part in fifty shares one channel among its
// workers, the bug. It returns how many parts have the bug.
func manyWorkers(lines int) (src string, bugs int) {
	var b strings.Builder
	b.WriteString("package many\n\nimport (\n\t\"fmt\"\n\t\"strconv\"\n\t\"strings\"\n\t\"sync\"\n)\n")
	for i, n := 0, strings.Count(b.String(), "\n"); n < lines; i++ {
		inbox := "make(chan msg%[1]d, 8)"
		if i%50 == 49 {
			inbox, bugs = "shared", bugs+1
		}
		part := fmt.Sprintf(`
type msg%[1]d struct {
	to, kind string
	n        int
	reply    chan int
}

type worker%[1]d struct {
	id    string
	inbox chan msg%[1]d
	total int
	seen  map[string]int
}

func (w *worker%[1]d) run(in <-chan msg%[1]d) {
	for m := range in {
		if m.to != w.id {
			continue
		}
		switch m.kind {
		case "add":
			w.total += m.n
		case "sub":
			w.total -= m.n
		default:
			w.seen[m.kind]++
		}
		if m.reply != nil {
			m.reply <- w.total
		}
	}
}

func start%[1]d(n int) []*worker%[1]d {
	shared := make(chan msg%[1]d, 8)
	ws := make([]*worker%[1]d, n)
	for i := range ws {
		in := `+inbox+`
		ws[i] = &worker%[1]d{id: strconv.Itoa(i), inbox: in, seen: map[string]int{}}
		go ws[i].run(in)
	}
	_ = shared
	return ws
}

func pool%[1]d(jobs <-chan msg%[1]d, results chan<- int, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for j := range jobs {
				if j.kind == "" {
					continue
				}
				results <- j.n * 2
			}
		})
	}
	wg.Wait()
	close(results)
}

func report%[1]d(ws []*worker%[1]d) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "%%s: %%d", w.id, w.total)
		for k, v := range w.seen {
			if v > 1 {
				fmt.Fprintf(&b, " %%s=%%d", k, v)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func sort%[1]d(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func parse%[1]d(s string) ([]int, error) {
	var xs []int
	for _, f := range strings.Fields(s) {
		x, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("part %[1]d: %%w", err)
		}
		xs = append(xs, x)
	}
	return xs, nil
}
`, i)
		b.WriteString(part)
		n += strings.Count(part, "\n")
	}
	return b.String(), bugs
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
