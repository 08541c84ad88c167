package natsdispatch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/fxamacker/cbor/v2"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Codec writes a call's arguments and results as message payloads and reads
// them back. Every node of a prefix must use the same codec: a payload
// written by another fails to decode, and its call with it. A Codec is used
// from many goroutines at once.
type Codec interface {
	// Name names the codec in the node's service metadata.
	Name() string
	// Marshal writes v, a pointer to generated arguments or results.
	Marshal(v any) ([]byte, error)
	// Unmarshal reads data into v, a pointer to generated arguments or
	// results. data comes from the network: Unmarshal must refuse, with an
	// error, anything that is not a well-formed encoding of v's type, and
	// must not let its size, depth or content exhaust time or memory.
	Unmarshal(data []byte, v any) error
}

// JSON returns the default codec, encoding/json's JSON, whose payloads can
// be read with nats sub. It reads them with the implementation encoding/json
// has on Go 1.27, encoding/json/v2's under encoding/json's semantics
// (github.com/go-json-experiment/json/v1, which mirrors it for Go 1.26 and
// is it on Go 1.27): Go 1.26's own reader takes twice the time and eight
// allocations for a small struct where that one takes one. Go 1.26's
// writer, faster than that one's, writes them.
//
// Inside an any, JSON turns every number into a float64 and every object
// into a map[string]any, so an int sent in an any arrives as a float64;
// typed fields keep their types. A string that is not valid UTF-8 arrives
// with each invalid byte replaced by U+FFFD: use []byte for bytes. Keys are
// not affected, since they travel in the subject.
func JSON() Codec { return jsonCodec{} }

type jsonCodec struct{}

func (jsonCodec) Name() string                       { return "json" }
func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return jsonv2.Unmarshal(data, v, jsonRead) }

// jsonRead are encoding/json's semantics, as jsonv1.Unmarshal has them, and
// its Number: the reader knows its own Number type, which on Go 1.26 is not
// encoding/json's.
var jsonRead = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(readNumber)))

func readNumber(dec *jsontext.Decoder, n *json.Number) error {
	if k, i := dec.StackIndex(dec.StackDepth()); k == '{' && i%2 == 0 {
		// A map's key, which encoding/json takes as it is, as it does
		// every key of a string type.
		tok, err := dec.ReadToken()
		*n = json.Number(tok.String())
		return err
	}
	x := jsonv1.Number(*n)
	err := x.UnmarshalJSONFrom(dec)
	*n = json.Number(x)
	return err
}

// CBOR returns a codec of CBOR (RFC 8949), more compact and faster to read
// than JSON. A type crosses by its own methods when it has a pair of them,
// in this order: MarshalCBOR and UnmarshalCBOR, MarshalBinary and
// UnmarshalBinary, MarshalText and UnmarshalText; CBOR does not use JSON's
// methods. It is configured for hostile input: maps inside an any decode to
// map[string]any and refuse other keys, times are written as RFC 3339
// text with nanoseconds, duplicate map keys, indefinite lengths and strings
// that are not valid UTF-8 are refused, and nesting is held to 32 levels,
// arrays to 65 536 elements and maps to 16 384 pairs, far under what a
// payload of the server's maximum size could otherwise make the decoder
// allocate.
func CBOR() Codec { return cborCodecOnce() }

// The limits of the CBOR codec.
const (
	cborMaxNested   = 32
	cborMaxElements = 64 << 10
	cborMaxPairs    = 16 << 10
)

var cborCodecOnce = sync.OnceValue(func() Codec {
	enc, err := cbor.EncOptions{
		Time:          cbor.TimeRFC3339Nano,
		Sort:          cbor.SortNone,
		IndefLength:   cbor.IndefLengthForbidden,
		NilContainers: cbor.NilContainerAsNull,
		// A type that marshals itself as text crosses as its text, as
		// with JSON, rather than by its fields, which may be unexported.
		TextMarshaler: cbor.TextMarshalerTextString,
	}.EncMode()
	if err != nil {
		panic("natsdispatch: CBOR encoder options: " + err.Error())
	}
	dec, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  cborMaxNested,
		MaxArrayElements: cborMaxElements,
		MaxMapPairs:      cborMaxPairs,
		DefaultMapType:   reflect.TypeFor[map[string]any](),
		UTF8:             cbor.UTF8RejectInvalid,
		TimeTag:          cbor.DecTagOptional,
		TextUnmarshaler:  cbor.TextUnmarshalerTextString,
	}.DecMode()
	if err != nil {
		panic("natsdispatch: CBOR decoder options: " + err.Error())
	}
	return cborCodec{enc: enc, dec: dec}
})

type cborCodec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

func (cborCodec) Name() string                         { return "cbor" }
func (c cborCodec) Marshal(v any) ([]byte, error)      { return c.enc.Marshal(v) }
func (c cborCodec) Unmarshal(data []byte, v any) error { return c.dec.Unmarshal(data, v) }

// guarded is codec with its panics turned into errors: a codec, or a type's
// own marshaling methods, that panics on what another process sent must
// fail that call, not take the node's goroutine, and the process, down.
// Every node uses its codec through guarded.
func guarded(codec Codec) Codec {
	if g, ok := codec.(guardedCodec); ok {
		return g
	}
	return guardedCodec{codec}
}

type guardedCodec struct{ Codec }

func (g guardedCodec) Marshal(v any) (data []byte, err error) {
	defer recoverCodec(g.Codec, "encode", &err)
	return g.Codec.Marshal(v)
}

func (g guardedCodec) Unmarshal(data []byte, v any) (err error) {
	defer recoverCodec(g.Codec, "decode", &err)
	return g.Codec.Unmarshal(data, v)
}

func recoverCodec(c Codec, what string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("the %s codec panicked in %s: %v", c.Name(), what, p)
	}
}
