// Package wirecheck holds the source of the test helper that the tests of
// generated remote packages run: checkArgs fills, for each method of a
// dispatcher's wire, the arguments its Serve decodes with non-zero values,
// sends them through natsdispatch's JSON and CBOR codecs and compares what
// comes out with what went in; checkResult and checkZero do the same for a
// result type. The remote adversary tests and the corpus tests of real
// interfaces both write it into the packages they generate.
package wirecheck

import "strings"

// Helper returns the helper as a test file of package pkg.
func Helper(pkg string) string {
	return strings.ReplaceAll(strings.Replace(source, "package svc", "package "+pkg, 1), bq, "`")
}

// bq is how source spells a backquote, which a raw string cannot hold.
const bq = "‵"

// source is the helper, as a file of package svc.
const source = `package svc

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/runtime"
)

var codecs = []natsdispatch.Codec{natsdispatch.JSON(), natsdispatch.CBOR()}

// special makes the values of types that filler cannot fill field by
// field, with unexported fields or a format of their own; the n-th value
// differs from the others.
var special = map[reflect.Type]func(n int) any{
	reflect.TypeFor[time.Time](): func(n int) any {
		return time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC).Add(time.Duration(n) * time.Hour)
	},
	reflect.TypeFor[netip.Addr](): func(n int) any {
		return netip.MustParseAddr(fmt.Sprintf("2001:db8::%x%%eth%d", n+1, n))
	},
	reflect.TypeFor[netip.Prefix](): func(n int) any {
		return netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", n%256))
	},
	reflect.TypeFor[netip.AddrPort](): func(n int) any {
		return netip.AddrPortFrom(netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", n%256)), uint16(n+1))
	},
	reflect.TypeFor[json.RawMessage](): func(n int) any {
		return json.RawMessage(fmt.Sprintf(‵{"n":%d,"s":["a",null,true,1.5e300]}‵, n))
	},
	reflect.TypeFor[json.Number](): func(n int) any {
		return json.Number(fmt.Sprintf("-123456789012345678901234567890.5e-%d", n%300))
	},
}

// leaveMarshalers, once set, has filler leave at its zero value a type
// that marshals itself and that special does not make: its values have a
// domain of their own (an enum's MarshalText refuses a value it does not
// name), which filler cannot know. The corpus tests of real interfaces set
// it.
var leaveMarshalers bool

// marshalers are the interfaces by which a codec has a value marshal itself.
var marshalers = []reflect.Type{
	reflect.TypeFor[json.Marshaler](), reflect.TypeFor[json.Unmarshaler](),
	reflect.TypeFor[encoding.TextMarshaler](), reflect.TypeFor[encoding.TextUnmarshaler](),
	reflect.TypeFor[encoding.BinaryMarshaler](), reflect.TypeFor[encoding.BinaryUnmarshaler](),
}

// leftZero reports whether filler leaves values of type t zero.
func leftZero(t reflect.Type) bool {
	if !leaveMarshalers {
		return false
	}
	for _, m := range marshalers {
		if reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// filler fills values with non-zero ones: integers near their extremes,
// floats huge and subnormal, strings of many scripts and JSON's special
// characters, two elements in every slice and map, every pointer set, to a
// depth.
type filler struct{ n int }

func (f *filler) fill(t *testing.T, v reflect.Value, depth int) {
	t.Helper()
	f.n++
	n := f.n
	if mk, ok := special[v.Type()]; ok {
		v.Set(reflect.ValueOf(mk(n)))
		return
	}
	if leftZero(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		hi := int64(1)<<(v.Type().Bits()-1) - 1
		if n%2 == 0 {
			v.SetInt(hi - int64(n%64))
		} else {
			v.SetInt(-hi - 1 + int64(n%64))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(math.MaxUint64>>(64-v.Type().Bits()) - uint64(n%64))
	case reflect.Float32:
		if n%2 == 0 {
			v.SetFloat(float64(float32(float64(n%7+1) / 3 * 1e37)))
		} else {
			v.SetFloat(-float64(n%7+1) * math.SmallestNonzeroFloat32)
		}
	case reflect.Float64:
		if n%2 == 0 {
			v.SetFloat(float64(n%7+1) / 3 * 1e300)
		} else {
			v.SetFloat(-float64(n%7+1) * math.SmallestNonzeroFloat64)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d é世ك <&> \"\\ \u2028\t\x00 🙂", n))
	case reflect.Slice:
		if depth > 3 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(t, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			f.fill(t, v.Index(i), depth)
		}
	case reflect.Map:
		if depth > 3 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; m.Len() < 2 && i < 10; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(t, k, depth+1)
			f.fill(t, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		if depth > 3 {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(t, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if sf := v.Type().Field(i); !sf.IsExported() {
				t.Fatalf("cannot fill %s: its field %s is unexported; give it to special", v.Type(), sf.Name)
			}
			f.fill(t, v.Field(i), depth)
		}
	case reflect.Interface:
		if v.NumMethod() > 0 {
			t.Fatalf("cannot fill %s", v.Type())
		}
		// A string crosses inside an any as itself.
		v.Set(reflect.ValueOf(fmt.Sprintf("any %d", n)))
	default:
		t.Fatalf("cannot fill %s", v.Type())
	}
}

// nonZero fails the test if a field of the struct v, but one of a type
// with no non-zero value, was left zero.
func nonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		if v.Field(i).IsZero() && v.Field(i).Type().Size() > 0 && !leftZero(v.Field(i).Type()) {
			t.Fatalf("filling %s left %s zero", v.Type(), v.Type().Field(i).Name)
		}
	}
}

// cross encodes sent with c and decodes the encoding into into, as a
// transport does, and returns the encoding. A panic of the codec is an
// error: in a transport it would bring its process down.
func cross(c natsdispatch.Codec, sent, into any) (data []byte, err error) {
	step := "encoding"
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", step, p)
		}
	}()
	if data, err = c.Marshal(sent); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	step = "decoding " + clip("%q", data)
	if err := c.Unmarshal(data, into); err != nil {
		return data, fmt.Errorf("%s: %w", step, err)
	}
	return data, nil
}

// clip formats args, cut to a length a test's log can hold.
func clip(format string, args ...any) string {
	s := fmt.Sprintf(format, args...)
	if len(s) > 400 {
		s = s[:400] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// diff lists where got differs from sent, by path, a few at most. It
// goes down through fields, elements and pointers, not through types with
// unexported fields, which it compares whole, nor through methods, such as
// the GoString that a struct embedding time.Time has, which would hide
// its other fields.
//
// A value that filler left zero because it marshals itself (leftZero), or
// a pointer to one, is compared by what c makes of it, since that is all
// its own encoding promises: a zero metav1.Time encodes as null, so a
// pointer to one comes back nil.
func diff(c natsdispatch.Codec, path string, sent, got reflect.Value, out *[]string) {
	if len(*out) >= 6 {
		return
	}
	differ := func() {
		*out = append(*out, path+": sent "+clip("%#v", sent.Interface())+", got "+clip("%#v", got.Interface()))
	}
	if t := sent.Type(); leftZero(t) || t.Kind() == reflect.Pointer && leftZero(t.Elem()) {
		s, serr := c.Marshal(sent.Interface())
		g, gerr := c.Marshal(got.Interface())
		if serr != nil || gerr != nil || string(s) != string(g) {
			*out = append(*out, path+": sent "+clip("%#v", sent.Interface())+" encoded as "+clip("%q", s)+", got "+clip("%#v", got.Interface())+" encoded as "+clip("%q", g))
		}
		return
	}
	switch sent.Kind() {
	case reflect.Struct:
		for i := range sent.NumField() {
			if !sent.Type().Field(i).IsExported() {
				if !reflect.DeepEqual(sent.Interface(), got.Interface()) {
					differ()
				}
				return
			}
		}
		for i := range sent.NumField() {
			diff(c, path+"."+sent.Type().Field(i).Name, sent.Field(i), got.Field(i), out)
		}
	case reflect.Pointer, reflect.Interface:
		if sent.IsNil() || got.IsNil() || sent.Kind() == reflect.Interface && sent.Elem().Type() != got.Elem().Type() {
			if !reflect.DeepEqual(sent.Interface(), got.Interface()) {
				differ()
			}
			return
		}
		diff(c, path, sent.Elem(), got.Elem(), out)
	case reflect.Slice, reflect.Array:
		if sent.Len() != got.Len() || sent.Kind() == reflect.Slice && sent.IsNil() != got.IsNil() {
			differ()
			return
		}
		for i := range sent.Len() {
			diff(c, fmt.Sprintf("%s[%d]", path, i), sent.Index(i), got.Index(i), out)
		}
	case reflect.Map:
		if sent.Len() != got.Len() || sent.IsNil() != got.IsNil() {
			differ()
			return
		}
		for _, k := range sent.MapKeys() {
			g := got.MapIndex(k)
			if !g.IsValid() {
				*out = append(*out, path+": the key "+clip("%#v", k.Interface())+" did not arrive; got "+clip("%#v", got.Interface()))
				return
			}
			diff(c, path+"["+clip("%#v", k.Interface())+"]", sent.MapIndex(k), g, out)
		}
	default:
		if !reflect.DeepEqual(sent.Interface(), got.Interface()) {
			differ()
		}
	}
}

// changed says how got differs from sent, once crossed c.
func changed(c natsdispatch.Codec, sent, got reflect.Value) string {
	var out []string
	diff(c, "", sent, got, &out)
	if len(out) == 0 {
		return "(no difference diff can see)"
	}
	return strings.Join(out, "\n")
}

// same reports whether got, which crossed c, is what was sent: equal, or,
// if filler left some of it zero because it marshals itself, the same as
// far as diff sees.
func same(c natsdispatch.Codec, sent, got reflect.Value) bool {
	if reflect.DeepEqual(sent.Interface(), got.Interface()) {
		return true
	}
	if !leaveMarshalers {
		return false
	}
	var out []string
	diff(c, "", sent, got, &out)
	return len(out) == 0
}

var errDecoded = errors.New("decoded")

// checkArgs makes, for each method of w, each codec, the call that another
// process would send: it fills the arguments that the method's Serve
// decodes with non-zero values, encodes them and decodes the encoding into
// what Serve hands to Decode, and compares with what was sent; then it
// stops Serve with errDecoded before the call would look for a recipient.
func checkArgs[K comparable](t *testing.T, w runtime.Wire[K], dest runtime.Dest[K]) {
	t.Helper()
	if len(w.Methods) == 0 {
		t.Fatalf("the wire of %s has no methods", w.Interface)
	}
	for _, m := range w.Methods {
		for _, c := range codecs {
			t.Run(m.Name+"/"+c.Name(), func(t *testing.T) {
				decoded, replies := false, 0
				in := &runtime.Inbound{Ctx: t.Context(), Key: "k", Method: m.Name, OneWay: m.OneWay,
					Decode: func(v any) error {
						decoded = true
						sent := reflect.New(reflect.TypeOf(v).Elem())
						var f filler
						f.fill(t, sent.Elem(), 0)
						nonZero(t, sent.Elem())
						data, err := cross(c, sent.Interface(), v)
						switch {
						case err != nil:
							t.Errorf("%s.%s: the arguments %s do not cross %s: %v", w.Interface, m.Name, clip("%#v", sent.Elem()), c.Name(), err)
						case !same(c, sent.Elem(), reflect.ValueOf(v).Elem()):
							t.Errorf("%s.%s: the arguments crossed %s as %s and changed:\n%s", w.Interface, m.Name, c.Name(), clip("%q", data), changed(c, sent.Elem(), reflect.ValueOf(v).Elem()))
						}
						return errDecoded
					},
					Reply: func(_ any, err error) {
						replies++
						if !errors.Is(err, errDecoded) {
							t.Errorf("%s.%s: Serve replied %v, want the decoding error", w.Interface, m.Name, err)
						}
					},
				}
				m.Serve(dest, in)
				if !decoded || replies != 1 {
					t.Errorf("%s.%s: Serve decoded: %v, replied %d times, want once", w.Interface, m.Name, decoded, replies)
				}
			})
		}
	}
}

// checkResult fills a result of type T, as a method's Run resolves its
// message with it, with non-zero values, and sends it through each codec
// as a transport does: a pointer to it, decoded into a pointer to a new
// one.
func checkResult[T any](t *testing.T) {
	t.Helper()
	name := reflect.TypeFor[T]().String()
	for _, c := range codecs {
		t.Run("result "+name+"/"+c.Name(), func(t *testing.T) {
			sent, got := new(T), new(T)
			var f filler
			f.fill(t, reflect.ValueOf(sent).Elem(), 0)
			if reflect.ValueOf(sent).Elem().IsZero() {
				t.Fatalf("filling %s left it zero", name)
			}
			data, err := cross(c, sent, got)
			switch {
			case err != nil:
				t.Errorf("a result %s %s does not cross %s: %v", name, clip("%#v", *sent), c.Name(), err)
			case !reflect.DeepEqual(*got, *sent):
				t.Errorf("a result %s crossed %s as %s and changed:\n%s", name, c.Name(), clip("%q", data), changed(c, reflect.ValueOf(sent).Elem(), reflect.ValueOf(got).Elem()))
			}
		})
	}
}

// checkZero sends the zero value of T through each codec, as checkResult
// sends a filled one.
func checkZero[T any](t *testing.T) {
	t.Helper()
	name := reflect.TypeFor[T]().String()
	for _, c := range codecs {
		t.Run("zero "+name+"/"+c.Name(), func(t *testing.T) {
			sent, got := new(T), new(T)
			data, err := cross(c, sent, got)
			switch {
			case err != nil:
				t.Errorf("the zero %s does not cross %s: %v", name, c.Name(), err)
			case !reflect.DeepEqual(*got, *sent):
				t.Errorf("the zero %s crossed %s as %s and changed:\n%s", name, c.Name(), clip("%q", data), changed(c, reflect.ValueOf(sent).Elem(), reflect.ValueOf(got).Elem()))
			}
		})
	}
}
`
