package natsdispatch

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// Keys that are not subject-safe are encoded, and each reaches its own
// recipient only; keys too long for a subject are refused before anything
// is published, and the connection stays up.
func TestHostileKeys(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	ncCaller := connect(t, srv, false)
	caller := nodeOn(t, ncCaller)
	keys := []string{
		"a", "b", "a.b", "a.*", "a.>", "*", ">", "a b", " ", "", "_", "-", "_YQ", "YQ",
		"\x00", "\r\n", "\t", "\xff\xfe", "ключ", "$SYS", "_INBOX.x", "a,b",
		strings.Repeat("a", 200), strings.Repeat(".", 149),
	}
	f := newFake("host")
	l := bind(t, host, f, keys...)
	out := bind(t, caller, newFake("caller"))
	ctx := timeout(t, 30*time.Second)

	for _, key := range keys {
		var res echoResult
		if err := call(ctx, out, key, "Echo", &echoArgs{Text: key}, &res); err != nil {
			t.Errorf("call to %q: %v", key, err)
			continue
		}
		if string(res.KeyBytes) != key {
			t.Errorf("call to %q answered by %q", key, res.KeyBytes)
		}
	}

	for _, key := range []string{strings.Repeat("a", 201), strings.Repeat(".", 150), strings.Repeat("x", 5000)} {
		if err := l.Claim(ctx, key); !errors.Is(err, ErrKeyTooLong) {
			t.Errorf("claim of %d bytes: %v, want ErrKeyTooLong", len(key), err)
		}
		if err := call(ctx, out, key, "Echo", &echoArgs{}, &echoResult{}); !errors.Is(err, ErrKeyTooLong) {
			t.Errorf("call to %d bytes: %v, want ErrKeyTooLong", len(key), err)
		}
		failed := make(chan error, 1)
		send(ctx, out, key, "Note", &echoArgs{}, func(err error) { failed <- err })
		if err := <-failed; !errors.Is(err, ErrKeyTooLong) {
			t.Errorf("send to %d bytes: %v, want ErrKeyTooLong", len(key), err)
		}
	}
	if !ncCaller.IsConnected() {
		t.Fatal("the caller's connection closed")
	}
	var res echoResult
	if err := call(ctx, out, "a", "Echo", &echoArgs{}, &res); err != nil || res.Key != "a" {
		t.Fatalf("after the long keys: %v, %q", err, res.Key)
	}
}

// Messages published straight to a recipient's subject, bypassing any
// node, get an error reply when they cannot be read, and the node serves
// on.
func TestHostilePayloads(t *testing.T) {
	srv := startServer(t, embedded.Config{MaxPayload: 4 << 20})
	for _, codec := range []Codec{JSON(), CBOR()} {
		t.Run(codec.Name(), func(t *testing.T) {
			prefix := "hostile" + codec.Name()
			host := startNode(t, srv, WithPrefix(prefix), WithCodec(codec), WithMaxPayload(64<<10))
			f := newFake("host")
			bind(t, host, f, "k")
			raw := connect(t, srv, true)
			subject := prefix + ".Echo.k."
			valid := mustCodec(t, codec, &echoArgs{})
			// Each case is written in JSON, and in CBOR where the codec's
			// encoding differs.
			truncated, wrongType := `{"N":1,`, `{"N":"x"}`
			nested := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
			if codec.Name() == "cbor" {
				truncated, wrongType = "\xa2\x61N\x01", "\xa1\x61N\x61x"
				nested = strings.Repeat("\x81", 30000) + "\x00"
			}
			header := func(key, value string) nats.Header { return nats.Header{key: {value}} }
			for _, tc := range []struct {
				name   string
				method string
				data   string
				header nats.Header
				code   int
			}{
				{"garbage", "Echo", "\xff\x00garbage", nil, 400},
				{"empty", "Echo", "", nil, 400},
				{"truncated", "Echo", truncated, nil, 400},
				{"wrongly typed", "Echo", wrongType, nil, 400},
				{"deeply nested", "Echo", nested, nil, 400},
				{"oversized", "Echo", strings.Repeat("x", 65<<10), nil, 413},
				{"far oversized", "Echo", strings.Repeat("x", 3<<20), nil, 413},
				{"unknown method", "Nope", valid, nil, 400},
				{"garbage timeout", "Echo", valid, header(hdrTimeout, "soon"), 400},
				{"negative timeout", "Echo", valid, header(hdrTimeout, "-1s"), 504},
				{"garbage chain", "Echo", valid, header(hdrChain, "x"), 400},
				{"chain of bad tokens", "Echo", valid, header(hdrChain, "Echo._!!"), 400},
				{"chain too long", "Echo", valid, header(hdrChain, strings.Repeat("Echo.a,", 1000)+"Echo.a"), 400},
				{"chain naming the recipient", "Echo", valid, header(hdrChain, "Echo.k"), 508},
				{"one-way garbage", "Note", "\xff garbage", nil, 400},
			} {
				msg := &nats.Msg{Subject: subject + tc.method, Data: []byte(tc.data), Header: tc.header}
				reply, err := raw.RequestMsg(msg, 5*time.Second)
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				code, _ := strconv.Atoi(reply.Header.Get(micro.ErrorCodeHeader))
				if code != tc.code {
					t.Errorf("%s: code %d (%q), want %d", tc.name, code, reply.Header.Get(micro.ErrorHeader), tc.code)
				}
			}

			// Without a reply subject there is nobody to answer: nothing
			// runs, nothing breaks.
			if err := raw.Publish(subject+"Echo", []byte("garbage")); err != nil {
				t.Fatal(err)
			}
			if err := raw.Publish(subject+"Note", []byte("garbage")); err != nil {
				t.Fatal(err)
			}
			if !raw.IsConnected() || !host.nc.IsConnected() {
				t.Fatal("a connection closed")
			}
			reply, err := raw.Request(subject+"Echo", []byte(mustCodec(t, codec, &echoArgs{N: 7})), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var res echoResult
			if err := codec.Unmarshal(reply.Data, &res); err != nil || res.Key != "k" || res.N != 7 {
				t.Fatalf("after the hostile messages: %+v, %v (%q)", res, err, reply.Header.Get(micro.ErrorHeader))
			}
		})
	}
}

func mustCodec(t *testing.T, c Codec, v any) string {
	t.Helper()
	data, err := c.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
