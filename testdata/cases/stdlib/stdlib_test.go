package stdlib

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// buffer is an io.ReadWriteCloser without a lock of its own.
type buffer struct {
	bytes.Buffer
	closed bool
}

func (b *buffer) Close() error { b.closed = true; return nil }

type roundTripper struct{ n int }

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.n++
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(req.URL.Path)), Request: req}, nil
}

type conn struct{}

func (conn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("no statements") }
func (conn) Close() error                        { return nil }
func (conn) Begin() (driver.Tx, error)           { return nil, errors.New("no transactions") }

type marshaler struct{ n int }

func (m *marshaler) MarshalText() ([]byte, error) {
	m.n++
	return []byte(time.Duration(m.n).String()), nil
}

func TestStdlib(t *testing.T) {
	ctx := context.Background()

	rwc := NewReadWriteCloserDispatcher()
	b := &buffer{}
	if err := rwc.Register("b", b); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := rwc.To("b").Write([]byte("x")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, err := rwc.To("b").ReadAsync(make([]byte, 1000)).Await(ctx); err != nil || n != 800 {
		t.Errorf("Read = %d, %v, want 800", n, err)
	}

	rts := NewRoundTripperDispatcher()
	if err := rts.Register("rt", &roundTripper{}); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: rts.To("rt")}
	resp, err := client.Get("http://example.com/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "/hello" {
		t.Errorf("body %q", body)
	}

	conns := NewConnDispatcher()
	if err := conns.Register("c", conn{}); err != nil {
		t.Fatal(err)
	}
	if _, err := conns.To("c").Prepare("select 1"); err == nil {
		t.Error("Prepare succeeded")
	}

	fss := NewFSDispatcher()
	if err := fss.Register("fs", fstest.MapFS{"a/b.txt": {Data: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	if data, err := fs.ReadFile(fss.To("fs"), "a/b.txt"); err != nil || string(data) != "b" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}

	wt := NewWriterToDispatcher()
	if err := wt.Register("w", strings.NewReader("to you")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if n, err := wt.To("w").WriteTo(&out); err != nil || n != 6 || out.String() != "to you" {
		t.Errorf("WriteTo = %d, %v, %q", n, err, out.String())
	}

	tm := NewTextMarshalerDispatcher()
	if err := tm.Register("m", &marshaler{}); err != nil {
		t.Fatal(err)
	}
	if text, err := tm.To("m").MarshalText(); err != nil || string(text) != "1ns" {
		t.Errorf("MarshalText = %q, %v", text, err)
	}

	var _ fs.ReadDirFile = ReadDirFileRef{}
	for _, close := range []func(context.Context) error{rwc.Close, rts.Close, conns.Close, fss.Close, wt.Close, tm.Close} {
		if err := close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !b.closed && b.Len() != 0 {
		t.Error("buffer left unread")
	}
}
