package stdlibnoerror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

func TestConn(t *testing.T) {
	ctx := context.Background()
	a, b := net.Pipe()
	d := NewConnDispatcher()
	if err := d.Register("a", a); err != nil {
		t.Fatal(err)
	}
	if err := d.Register("b", b); err != nil {
		t.Fatal(err)
	}
	ca, cb := d.To("a"), d.To("b")
	if ca.LocalAddr().Network() != "pipe" || cb.RemoteAddr().String() != "pipe" {
		t.Errorf("addresses %v %v", ca.LocalAddr(), cb.RemoteAddr())
	}
	if err := cb.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A write to a pipe waits for the read: send it asynchronously, so
	// that each recipient serves its own call.
	w := ca.WriteAsync([]byte("ping"))
	buf := make([]byte, 4)
	if n, err := cb.Read(buf); err != nil || string(buf[:n]) != "ping" {
		t.Errorf("Read = %q, %v", buf[:n], err)
	}
	if n, err := w.Await(ctx); err != nil || n != 4 {
		t.Errorf("Write = %d, %v", n, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The recipients are gone: LocalAddr, which has no error to return,
	// panics with the call's error, and its Async variant returns it.
	func() {
		defer func() {
			err, _ := recover().(error)
			var ce *ConnCallError
			if !errors.As(err, &ce) || ce.Method != "LocalAddr" || ce.Key != "a" || !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("LocalAddr after Close panicked with %v", err)
			}
		}()
		ca.LocalAddr()
	}()
	if _, err := ca.LocalAddrAsync().Await(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("LocalAddrAsync after Close: err = %v", err)
	}
	a.Close()
	b.Close()
}

func TestHash(t *testing.T) {
	ctx := context.Background()
	d := NewHashDispatcher()
	if err := d.Register("sha", sha256.New()); err != nil {
		t.Fatal(err)
	}
	h := d.To("sha")
	if h.Size() != sha256.Size || h.BlockSize() != sha256.BlockSize {
		t.Errorf("Size %d, BlockSize %d", h.Size(), h.BlockSize())
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if _, err := h.Write([]byte("a")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	want := sha256.Sum256([]byte(strings.Repeat("a", 200)))
	if got := h.Sum(nil); hex.EncodeToString(got) != hex.EncodeToString(want[:]) {
		t.Errorf("Sum = %x, want %x", got, want)
	}
	h.Reset() // one-way, and run before the next call from this goroutine
	empty := sha256.Sum256(nil)
	if got, err := h.SumAsync(nil).Await(ctx); err != nil || !bytes.Equal(got, empty[:]) {
		t.Errorf("Sum after Reset = %x, %v", got, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSlogHandler(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	d := NewHandlerDispatcher()
	if err := d.Register("text", slog.NewTextHandler(&out, nil)); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(d.To("text"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { logger.Info("hello", "i", i) })
	}
	wg.Wait()
	logger.Debug("not enabled")
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "msg=hello"); n != 8 {
		t.Errorf("%d lines logged, want 8:\n%s", n, out.String())
	}
	if strings.Contains(out.String(), "not enabled") {
		t.Error("a debug line got through Enabled")
	}
}

func TestSortInterface(t *testing.T) {
	ctx := context.Background()
	d := NewInterfaceDispatcher()
	if err := d.Register("s", sort.IntSlice{3, 1, 2}); err != nil {
		t.Fatal(err)
	}
	s := d.To("s")
	sort.Sort(s)
	if !sort.IsSorted(s) {
		t.Error("not sorted through the Ref")
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
