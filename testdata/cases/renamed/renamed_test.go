package renamed

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

func TestRenamed(t *testing.T) {
	ctx := context.Background()
	fsd := NewFSFileDispatcher()
	f, err := os.Open("renamed.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := fsd.Register("f", f); err != nil {
		t.Fatal(err)
	}
	if st, err := fsd.To("f").Stat(); err != nil || st.Name() != "renamed.go" {
		t.Errorf("Stat = %v, %v", st, err)
	}
	if err := fsd.To("f").Close(); err != nil {
		t.Error(err)
	}
	rd := NewReaderDispatcher()
	if err := rd.Register("r", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rd.To("r"))
	if err != nil || string(b) != "hello" {
		t.Errorf("ReadAll = %q, %v", b, err)
	}
	var _ = NewHTTPFileDispatcher
	for _, close := range []func(context.Context) error{fsd.Close, rd.Close} {
		if err := close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
