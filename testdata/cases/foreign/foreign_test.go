package foreign

import (
	"bytes"
	"context"
	"io"
	"testing"
)

type buffer struct {
	bytes.Buffer
	closed bool
}

func (b *buffer) Close() error { b.closed = true; return nil }

func TestForeign(t *testing.T) {
	d := NewReadWriteCloserDispatcher()
	b := &buffer{}
	if err := d.Register("b", b); err != nil {
		t.Fatal(err)
	}
	var rwc io.ReadWriteCloser = d.To("b")
	if n, err := rwc.Write([]byte("hello")); n != 5 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	buf := make([]byte, 8)
	n, err := d.To("b").ReadAsync(buf).Await(context.Background())
	if n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Errorf("Read = %d, %v, %q", n, err, buf[:n])
	}
	if err := rwc.Close(); err != nil || !b.closed {
		t.Errorf("Close: %v, closed %v", err, b.closed)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
