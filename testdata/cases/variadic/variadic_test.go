package variadic

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

type logger struct{ lines []string }

func (l *logger) Logf(_ context.Context, format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logger) Join(_ context.Context, sep string, parts ...string) (string, error) {
	return strings.Join(parts, sep), nil
}

func (l *logger) Count(_ context.Context, xs ...int) (int, error) { return len(xs) + len(l.lines), nil }

func TestVariadic(t *testing.T) {
	ctx := context.Background()
	d := NewLoggerDispatcher()
	l := &logger{}
	if err := d.Register("l", l); err != nil {
		t.Fatal(err)
	}
	d.To("l").Logf(ctx, "%d-%s", 1, "a")
	if s, err := d.To("l").Join(ctx, "+", "a", "b", "c"); err != nil || s != "a+b+c" {
		t.Errorf("Join = %q, %v", s, err)
	}
	if n, err := d.To("l").CountAsync(ctx, []int{1, 2}...).Await(ctx); err != nil || n != 3 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if n, err := d.To("l").Count(ctx); err != nil || n != 1 {
		t.Errorf("Count() = %d, %v", n, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(l.lines) != 1 || l.lines[0] != "1-a" {
		t.Errorf("lines = %q", l.lines)
	}
}
