package natsdispatch

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/fxamacker/cbor/v2"
)

type codecArgs struct {
	Name  string
	N     int64
	At    time.Time
	Any   any
	Bytes []byte
	Map   map[string]int
}

func TestCodecsRoundTrip(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	in := codecArgs{Name: "x", N: 1 << 60, At: at, Any: map[string]any{"k": "v"}, Bytes: []byte{0, 1, 2}, Map: map[string]int{"a": 1}}
	for _, c := range []Codec{JSON(), CBOR()} {
		data, err := c.Marshal(&in)
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		var out codecArgs
		if err := c.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		if out.Name != in.Name || out.N != in.N || !out.At.Equal(at) || !bytes.Equal(out.Bytes, in.Bytes) || out.Map["a"] != 1 {
			t.Errorf("%s: got %+v", c.Name(), out)
		}
		if m, ok := out.Any.(map[string]any); !ok || m["k"] != "v" {
			t.Errorf("%s: an any holding a map came back as %#v", c.Name(), out.Any)
		}
	}
}

// CBOR writes times as RFC 3339 text, to the nanosecond.
func TestCBORTimeIsRFC3339Nano(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	data, err := CBOR().Marshal(at)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := cbor.Unmarshal(data, &s); err != nil || s != "2025-01-02T03:04:05.123456789Z" {
		t.Errorf("a time is written as %q (%v)", s, err)
	}
}

// The JSON caveat REMOTE.md documents: inside an any, an integer comes back
// as a float64.
func TestJSONAnyNumbersAreFloats(t *testing.T) {
	data, _ := JSON().Marshal(&codecArgs{Any: 3})
	var out codecArgs
	if err := JSON().Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Any.(float64); !ok {
		t.Errorf("an int in an any came back as %T", out.Any)
	}
}

// CBOR refuses hostile input quickly and without allocating what the
// input claims.
func TestCBORRefusesHostileInput(t *testing.T) {
	nested := bytes.Repeat([]byte{0x81}, 1000) // [[[[...
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"garbage", []byte("\xff\xff\xff garbage")},
		{"truncated", []byte{0xa2, 0x64, 'N', 'a', 'm', 'e'}},
		{"wrong type", mustCBOR(t, map[string]any{"N": "not a number"})},
		{"nested", append(append([]byte{0xa1, 0x63, 'A', 'n', 'y'}, nested...), 0x00)},
		{"huge byte string", []byte{0xa1, 0x65, 'B', 'y', 't', 'e', 's', 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"huge array", []byte{0xa1, 0x63, 'A', 'n', 'y', 0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}},
		{"indefinite length", []byte{0xbf, 0x64, 'N', 'a', 'm', 'e', 0x61, 'x', 0xff}},
		{"duplicate keys", []byte{0xa2, 0x61, 'N', 0x01, 0x61, 'N', 0x02}},
		{"integer map keys in an any", []byte{0xa1, 0x63, 'A', 'n', 'y', 0xa1, 0x01, 0x02}},
		{"invalid UTF-8", []byte{0xa1, 0x64, 'N', 'a', 'm', 'e', 0x62, 0xff, 0xfe}},
		{"too many map pairs", append([]byte{0xa1, 0x63, 'A', 'n', 'y', 0xb9, 0x7f, 0xff}, bytes.Repeat([]byte{0x61, 'a', 0x00}, 10)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out codecArgs
			start := time.Now()
			if err := CBOR().Unmarshal(tc.data, &out); err == nil {
				t.Errorf("accepted %x as %+v", tc.data, out)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	data, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// JSON refuses what is not a well-formed encoding of the arguments.
func TestJSONRefusesHostileInput(t *testing.T) {
	for _, data := range []string{"", "garbage", `{"N":1,`, `{"N":"x"}`, `{"Any":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`} {
		var out codecArgs
		if err := JSON().Unmarshal([]byte(data), &out); err == nil {
			t.Errorf("accepted %.40q", data)
		}
	}
}

// textID has unexported fields and crosses as its text, as uuid or
// netip types do.
type textID struct{ hi, lo uint32 }

func (id textID) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%d-%d", id.hi, id.lo), nil
}

func (id *textID) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d-%d", &id.hi, &id.lo)
	return err
}

// TestCodecsUseTextMarshalers checks that both codecs write a type that
// marshals itself as text by its methods: CBOR, which ignores them unless
// told, wrote its fields, none exported, and read back a zero value.
func TestCodecsUseTextMarshalers(t *testing.T) {
	type args struct {
		ID  textID
		IDs map[string]textID
	}
	in := args{ID: textID{1, 2}, IDs: map[string]textID{"a": {3, 4}}}
	for _, c := range []Codec{JSON(), CBOR()} {
		data, err := c.Marshal(&in)
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		var out args
		if err := c.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		if out.ID != in.ID || out.IDs["a"] != in.IDs["a"] {
			t.Errorf("%s: sent %+v, got %+v", c.Name(), in, out)
		}
	}
}

// panicCodec is JSON whose Unmarshal panics, as a type's own
// UnmarshalJSON may on a payload it did not expect.
type panicCodec struct{ Codec }

func (panicCodec) Unmarshal([]byte, any) error { panic("unexpected payload") }

// TestCodecPanicIsAnError checks that a codec that panics while it reads a
// call's arguments fails that call, as a payload it cannot read does,
// rather than take the hosting node's goroutine, and the process, down.
// The host decodes in Serve, on the node's delivery goroutine, as
// generated code does.
func TestCodecPanicIsAnError(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	codec := WithCodec(panicCodec{JSON()})
	hl, err := startNode(t, srv, codec).Bind(&benchService{})
	if err != nil {
		t.Fatal(err)
	}
	if err := hl.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	l := bind(t, startNode(t, srv, codec), newFake("caller"))
	for range 2 {
		var res echoResult
		err := call(timeout(t, 5*time.Second), l, "k", "Echo", &echoArgs{N: 1}, &res)
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("a call whose arguments the host's codec panicked on = %v, want an error that says so", err)
		}
	}
}
