package dispatchgen_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/gen"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
	"github.com/dispatchgen/dispatchgen/internal/wirecheck"
)

// The remote adversary tests hold the wire side to its promise: for every
// interface the generator accepts in remote mode, the generated code
// builds, vets and passes staticcheck, and every argument and result,
// filled with non-zero values, comes back from natsdispatch's JSON and CBOR
// codecs as it was sent; what cannot cross is refused, where it is
// written. Each test writes a module with a package svc of interfaces,
// generates them, and runs in that module a test (wirecheck.Helper) that fills,
// for each method, the arguments its dispatcher's wire decodes, and each
// result type, and sends them through both codecs.
//
// Each test was written to expose a bug of the generator, and failed in
// every run; those still open are skipped unless -remote-adversary is set,
// and each says what it found.

var remoteAdversary = flag.Bool("remote-adversary", false, "run the remote adversary tests that expose bugs of the wire side")

// requireRemoteAdversary skips a test that exposes a known bug unless
// -remote-adversary is set.
func requireRemoteAdversary(t *testing.T) {
	t.Helper()
	if !*remoteAdversary {
		t.Skip("exposes a bug of the wire side (see its doc comment); run with -remote-adversary")
	}
}

// bq is how the sources below spell a backquote, which a raw string
// cannot hold: struct tags.
const bq = "‵"

// advOther is package other of every module: types and an interface of
// another package than the generated one.
const advOther = `// Package other holds types and an interface that package svc uses.
package other

import (
	"context"
	"errors"
	"strings"
)

// Point is a plain struct.
type Point struct{ X, Y int }

// Level is a named integer, a map key without methods.
type Level int16

// Code is a map key that writes itself as text and reads it back.
type Code struct{ Area, Num string }

// MarshalText writes the code as area/num.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.Area + "/" + c.Num), nil }

// UnmarshalText reads what MarshalText writes.
func (c *Code) UnmarshalText(b []byte) error {
	area, num, ok := strings.Cut(string(b), "/")
	if !ok {
		return errors.New("a code is area/num")
	}
	*c = Code{area, num}
	return nil
}

// Pair is a generic struct.
type Pair[K comparable, V any] struct {
	Key K
	Val V
}

// Base is embedded by an interface of package svc.
type Base interface {
	Ping(ctx context.Context, p Point, l Level) (Point, error)
	Shout(msg string, at map[Code][]Point)
}
`

// advCase is one interface of a module's package svc, generated on its
// own, and the body of the test of its wire, which runs when it is
// generated: d is its dispatcher, made with no options.
type advCase struct {
	iface string
	test  string
}

// advModule writes a module with packages other (advOther) and svc (src,
// with wirecheck.Helper and files, test files of svc by name), that requires this
// checkout and its natsdispatch, and returns its directory and svc's.
func advModule(t *testing.T, src string, files map[string]string) (dir, svc string) {
	t.Helper()
	// The module's go.sum lists the checkout's sums and natsdispatch's;
	// -mod=mod lets the go command add any it misses.
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	dir = t.TempDir()
	all := map[string]string{
		"other/other.go":      advOther,
		"svc/svc.go":          src,
		"svc/helper_test.go":  wirecheck.Helper("svc"),
		"svc/zz_vars_test.go": "package svc\n\n// A module's tests need not use every helper.\nvar _, _, _ = checkArgs[string], checkResult[int], checkZero[int]\n",
	}
	for name, content := range files {
		all["svc/"+name] = content
	}
	for name, content := range all {
		all[name] = strings.ReplaceAll(content, bq, "`")
	}
	testmod.Write(t, dir, "example.com/adv", all)
	testmod.RequireNatsdispatch(t, dir)
	return dir, filepath.Join(dir, "svc")
}

// generateOne generates the remote dispatcher of the interface iface of
// the package in dir, as -type=iface -remote does, and returns the
// diagnostics that refused it, or nil when it was generated.
func generateOne(t *testing.T, dir, iface string) []gen.Diagnostic {
	t.Helper()
	_, err := gen.Run(gen.Config{Dir: dir, Options: gen.Options{Types: []string{iface}, Remote: true}})
	var diags *gen.Diagnostics
	switch {
	case errors.As(err, &diags):
		return diags.List
	case err != nil:
		t.Fatalf("%s: %v", iface, err)
	}
	return nil
}

// crossOrRefuse holds a module's cases to the promise: each interface is
// either refused, each problem positioned in svc.go and saying what cannot
// cross, or generated, and then its wire's test passes, after the module
// vets.
func crossOrRefuse(t *testing.T, src string, files map[string]string, cases []advCase, vetFlags ...string) {
	dir, svc := advModule(t, src, files)
	generated := 0
	for _, c := range cases {
		diags := generateOne(t, svc, c.iface)
		for _, d := range diags {
			switch {
			case d.Warning:
				t.Logf("%s: warning: %s", c.iface, d.Msg)
			case filepath.Base(d.Pos.Filename) != "svc.go" || d.Pos.Line == 0 || !strings.Contains(d.Msg, "cannot cross a process"):
				t.Errorf("%s is refused, but not where what cannot cross is written: %s:%d:%d: %s", c.iface, filepath.Base(d.Pos.Filename), d.Pos.Line, d.Pos.Column, d.Msg)
			default:
				t.Logf("%s is refused: svc.go:%d:%d: %s", c.iface, d.Pos.Line, d.Pos.Column, d.Msg)
			}
		}
		if len(diags) > 0 {
			continue
		}
		generated++
		test := "package svc\n\nimport (\n\t\"context\"\n\t\"testing\"\n)\n\nfunc TestWire" + c.iface + "(t *testing.T) {\n\td := New" + c.iface + "Dispatcher()\n" +
			"\tt.Cleanup(func() {\n\t\tif err := d.Close(context.Background()); err != nil {\n\t\t\tt.Error(err)\n\t\t}\n\t})\n" +
			"\tcheckArgs(t, d.wire(), d.router.Dest(\"k\"))\n" + c.test + "}\n"
		testmod.WriteFile(t, filepath.Join(svc, strings.ToLower(c.iface)+"_wire_test.go"), test)
	}
	if generated == 0 && len(files) == 0 {
		return
	}
	testmod.Go(t, dir, append(append([]string{"vet"}, vetFlags...), "./...")...)
	testmod.Go(t, dir, "test", "-count=1", "./...")
}

// wideSrc is the package of TestRemoteAdvWideRoundTrip: one interface with
// every shape of parameter and result that crosses, and names that collide
// once they are fields, JSON keys or generated identifiers.
const wideSrc = `// Package svc has a remote interface of every shape that crosses.
package svc

import (
	"context"
	"encoding/json"
	"net/netip"
	"time"

	"example.com/adv/other"
)

// Alias is an alias of a composite type, PointAlias one of another
// package's type, Set a generic alias.
type (
	Alias          = map[string][]*int
	PointAlias     = other.Point
	Set[T comparable] = map[T]struct{}
)

// Entry is a tree of its own type.
type Entry struct {
	Text     string
	At       time.Time
	Tags     map[int]string
	Children []*Entry
}

// Embedded and EmbeddedP are embedded in Nested, their fields promoted.
type Embedded struct{ P, Q int }

// EmbeddedP is embedded by pointer.
type EmbeddedP struct{ R string }

// Nested has json tags of its own, anonymous structs and embedded ones.
type Nested struct {
	A  int     ‵json:"a,omitempty"‵
	B  string  ‵json:",string"‵
	C  int64   ‵json:"c,string"‵
	U  uint64  ‵json:"u,string"‵
	F  float64 ‵json:"f,string"‵
	Ok bool    ‵json:"ok,string"‵
	D  struct {
		E []byte  ‵json:"e"‵
		F [4]byte ‵json:"f"‵
		G *struct {
			H map[other.Level]string ‵json:"h,omitempty"‵
		} ‵json:"g"‵
	} ‵json:"d"‵
	Embedded
	*EmbeddedP
}

// Wide has it all.
//
//dispatch:recipient remote
type Wide interface {
	other.Base
	// Names has parameters named alike but for case, blank, unnamed-like,
	// and like the generated code's locals and imports.
	Names(ctx context.Context, Name string, name string, ID int, Id int, iD int, _ bool, _ bool, p7 int, args string, to string, in string, m string, r string, d string, err string, res string, impl string, key string, opts string, ctx2 string, runtime string, other string, wide string) error
	Unnamed(context.Context, string, int, ...float64) (string, error)
	Keywords(ctx context.Context, Type string, Func string, Range int, Map int, Chan int, Go int, Select, Default, Interface, Struct string) error
	// Members has parameters named like the members of a message, of a
	// runtime.Inbound and of a runtime.WireMethod.
	Members(ctx context.Context, Request int, Method string, Run bool, Resolve int, OneWay int, WireArgs int, X_ int, _x int, X_x int, Serve string, Decode string, Reply string) error
	// Wire and WireArgs are named like generated identifiers, and have
	// results whose fields collide.
	Wire(ctx context.Context, wire int, Serve int, Interface int, Methods int) (n int, N int, _ string, _x int, X_x int, err error)
	WireArgs(ctx context.Context, xs ...[]string) (Id string, ID string, iD map[string]int, err error)
	Ptr(ctx context.Context, pp **int, ppp ***string, a Alias, pa PointAlias, l other.Level, n Nested) (**int, error)
	Std(ctx context.Context, at time.Time, d time.Duration, ip netip.Addr, pfx netip.Prefix, raw json.RawMessage, num json.Number, ap netip.AddrPort) (time.Time, json.Number, error)
	Ints(ctx context.Context, i int, i8 int8, i16 int16, i32 int32, i64 int64, u uint, u8 uint8, u16 uint16, u32 uint32, u64 uint64, b byte, r rune, f32 float32, f64 float64) (int64, uint64, error)
	Bytes(ctx context.Context, b []byte, a [16]byte, bb [][]byte, ab [][2]byte, m map[string][]byte) ([]byte, [3]byte, error)
	Maps(ctx context.Context, mi map[int]string, mu map[uint64]int, mc map[other.Code]other.Point, ml map[other.Level][]Entry, mm map[string]map[int8]*Entry) (map[other.Code]int, error)
	Gen(ctx context.Context, p other.Pair[string, []Entry], s Set[string]) (other.Pair[other.Code, *Entry], error)
	Tree(ctx context.Context, e Entry, es []*Entry) (*Entry, error)
	Anys(ctx context.Context, v any, vs []any, mv map[string]any) (any, error)
	Notify(name, Name string, e *Entry)
	// Register, Close and To are named like the dispatcher's methods.
	Register(ctx context.Context, key string) error
	Close(ctx context.Context) (closed bool, err error)
	To(key string) (string, error)
}
`

// wideTest is the test of package svc of TestRemoteAdvWideRoundTrip: the
// arguments and results of Wide cross both codecs as its wire decodes
// them, and calls cross through a transport that encodes them, parameter
// by parameter, result by result.
const wideTest = `package svc

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"example.com/adv/other"
	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/runtime"
)

func TestWideWire(t *testing.T) {
	d := NewWideDispatcher()
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	w := d.wire()
	served := map[string]bool{}
	for _, m := range w.Methods {
		served[m.Name] = true
	}
	iface := reflect.TypeFor[Wide]()
	for i := range iface.NumMethod() {
		if !served[iface.Method(i).Name] {
			t.Errorf("the wire does not serve %s", iface.Method(i).Name)
		}
	}
	if len(w.Methods) != iface.NumMethod() {
		t.Errorf("the wire serves %d methods, Wide has %d", len(w.Methods), iface.NumMethod())
	}
	checkArgs(t, w, d.router.Dest("k"))
	checkResult[other.Point](t)
	checkResult[string](t)
	checkResult[WideWireResult](t)
	checkResult[WideWireArgsResult](t)
	checkResult[**int](t)
	checkResult[WideStdResult](t)
	checkResult[WideIntsResult](t)
	checkResult[WideBytesResult](t)
	checkResult[map[other.Code]int](t)
	checkResult[other.Pair[other.Code, *Entry]](t)
	checkResult[*Entry](t)
	checkResult[any](t)
	checkResult[bool](t)
}

// hub is a transport between dispatchers of one test, as if each were in
// a process of its own: every call's arguments and results cross codec.
type hub struct {
	codec  natsdispatch.Codec
	mu     sync.Mutex
	owners map[string]runtime.Service
}

type hubLink struct {
	h   *hub
	svc runtime.Service
}

func (h *hub) Bind(svc runtime.Service) (runtime.Link, error) { return &hubLink{h, svc}, nil }

func (l *hubLink) Claim(_ context.Context, key string) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	l.h.owners[l.svc.Interface()+"."+key] = l.svc
	return nil
}

func (l *hubLink) Release(_ context.Context, key string) error {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	delete(l.h.owners, l.svc.Interface()+"."+key)
	return nil
}

func (l *hubLink) Close(context.Context) error { return nil }
func (l *hubLink) Call(c *runtime.RemoteCall)  { l.deliver(c, false) }
func (l *hubLink) Send(c *runtime.RemoteCall)  { l.deliver(c, true) }

func (l *hubLink) deliver(c *runtime.RemoteCall, oneWay bool) {
	codec := l.h.codec
	l.h.mu.Lock()
	owner := l.h.owners[l.svc.Interface()+"."+c.Key]
	l.h.mu.Unlock()
	args, err := codec.Marshal(c.Args)
	switch {
	case err != nil:
		c.Done(err)
		return
	case owner == nil:
		c.Done(fmt.Errorf("%s: %w", c.Key, runtime.ErrNoRecipient))
		return
	}
	owner.Serve(&runtime.Inbound{
		Ctx: context.WithoutCancel(c.Ctx), Key: c.Key, Method: c.Method, OneWay: oneWay,
		Decode: func(v any) error { return codec.Unmarshal(args, v) },
		Reply: func(result any, err error) {
			if err == nil && result != nil {
				b, merr := codec.Marshal(result)
				if merr == nil {
					merr = codec.Unmarshal(b, c.Result)
				}
				err = merr
			}
			if !oneWay || err != nil {
				c.Done(err)
			}
		},
	})
}

// wideImpl records the parameters its methods get, and returns results
// that differ from each other.
type wideImpl struct {
	Wide // the methods the test does not call
	got  chan []any
}

func (w *wideImpl) record(args ...any) { w.got <- args }

func (w *wideImpl) Names(_ context.Context, a1, a2 string, a3, a4, a5 int, a6, a7 bool, a8 int, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23 string) error {
	w.record("Names", a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23)
	return nil
}

func (w *wideImpl) Unnamed(_ context.Context, s string, i int, fs ...float64) (string, error) {
	w.record("Unnamed", s, i, fs)
	return s + "!", nil
}

func (w *wideImpl) Members(_ context.Context, a1 int, a2 string, a3 bool, a4, a5, a6, a7, a8, a9 int, a10, a11, a12 string) error {
	w.record("Members", a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)
	return nil
}

func (w *wideImpl) Wire(_ context.Context, a1, a2, a3, a4 int) (int, int, string, int, int, error) {
	w.record("Wire", a1, a2, a3, a4)
	return a1 * 10, a2 * 10, "three", a3 * 10, a4 * 10, nil
}

func (w *wideImpl) WireArgs(_ context.Context, xs ...[]string) (string, string, map[string]int, error) {
	w.record("WireArgs", xs)
	return "Id", "ID", map[string]int{"iD": len(xs)}, nil
}

func (w *wideImpl) Ints(_ context.Context, i int, i8 int8, i16 int16, i32 int32, i64 int64, u uint, u8 uint8, u16 uint16, u32 uint32, u64 uint64, b byte, r rune, f32 float32, f64 float64) (int64, uint64, error) {
	w.record("Ints", i, i8, i16, i32, i64, u, u8, u16, u32, u64, b, r, f32, f64)
	return i64 + 1, u64 - 1, nil
}

func (w *wideImpl) Notify(name, Name string, e *Entry) { w.record("Notify", name, Name, e) }

func (w *wideImpl) Shout(msg string, at map[other.Code][]other.Point) { w.record("Shout", msg, at) }

func (w *wideImpl) To(key string) (string, error) { return key, nil }

// expect fails the test unless the next call the recipient got is want.
func (w *wideImpl) expect(t *testing.T, want ...any) {
	t.Helper()
	select {
	case got := <-w.got:
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the recipient got\n%#v\nwant\n%#v", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%v did not arrive", want[0])
	}
}

func TestCallsCross(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.Name(), func(t *testing.T) {
			ctx := context.Background()
			h := &hub{codec: c, owners: map[string]runtime.Service{}}
			host, caller := NewWideDispatcher(runtime.WithTransport(h)), NewWideDispatcher(runtime.WithTransport(h))
			t.Cleanup(func() {
				for _, d := range []*WideDispatcher{caller, host} {
					if err := d.Close(ctx); err != nil {
						t.Error(err)
					}
				}
			})
			impl := &wideImpl{got: make(chan []any, 16)}
			if err := host.Register("k", impl); err != nil {
				t.Fatal(err)
			}
			ref := caller.To("k")

			if err := ref.Names(ctx, "Name", "name", 1, 2, 3, true, false, 8, "args", "to", "in", "m", "r", "d", "err", "res", "impl", "key", "opts", "ctx2", "runtime", "other", "wide"); err != nil {
				t.Fatal(err)
			}
			impl.expect(t, "Names", "Name", "name", 1, 2, 3, true, false, 8, "args", "to", "in", "m", "r", "d", "err", "res", "impl", "key", "opts", "ctx2", "runtime", "other", "wide")

			if s, err := ref.Unnamed(ctx, "s", 2, 3.5, -4.25); s != "s!" || err != nil {
				t.Errorf("Unnamed = %q, %v", s, err)
			}
			impl.expect(t, "Unnamed", "s", 2, []float64{3.5, -4.25})

			if err := ref.Members(ctx, 1, "Method", true, 4, 5, 6, 7, 8, 9, "Serve", "Decode", "Reply"); err != nil {
				t.Fatal(err)
			}
			impl.expect(t, "Members", 1, "Method", true, 4, 5, 6, 7, 8, 9, "Serve", "Decode", "Reply")

			n, N, s, x, X, err := ref.Wire(ctx, 1, 2, 3, 4)
			if n != 10 || N != 20 || s != "three" || x != 30 || X != 40 || err != nil {
				t.Errorf("Wire = %d, %d, %q, %d, %d, %v; want 10, 20, three, 30, 40", n, N, s, x, X, err)
			}
			impl.expect(t, "Wire", 1, 2, 3, 4)

			id, ID, iD, err := ref.WireArgs(ctx, []string{"a"}, nil, []string{"b", "c"})
			if id != "Id" || ID != "ID" || !reflect.DeepEqual(iD, map[string]int{"iD": 3}) || err != nil {
				t.Errorf("WireArgs = %q, %q, %v, %v", id, ID, iD, err)
			}
			impl.expect(t, "WireArgs", [][]string{{"a"}, nil, {"b", "c"}})

			i64, u64, err := ref.Ints(ctx, math.MaxInt, math.MinInt8, math.MaxInt16, math.MinInt32, math.MinInt64, math.MaxUint, math.MaxUint8, math.MaxUint16, math.MaxUint32, 1<<63+1, 255, '世', math.MaxFloat32, -math.SmallestNonzeroFloat64)
			if i64 != math.MinInt64+1 || u64 != 1<<63 || err != nil {
				t.Errorf("Ints = %d, %d, %v", i64, u64, err)
			}
			impl.expect(t, "Ints", math.MaxInt, int8(math.MinInt8), int16(math.MaxInt16), int32(math.MinInt32), int64(math.MinInt64), uint(math.MaxUint), uint8(math.MaxUint8), uint16(math.MaxUint16), uint32(math.MaxUint32), uint64(1<<63+1), byte(255), '世', float32(math.MaxFloat32), -math.SmallestNonzeroFloat64)

			e := &Entry{Text: "e", At: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Tags: map[int]string{-1: "m"}, Children: []*Entry{{Text: "c"}}}
			ref.Notify("name", "Name", e)
			impl.expect(t, "Notify", "name", "Name", e)

			at := map[other.Code][]other.Point{{Area: "a", Num: "1"}: {{X: 1, Y: 2}}, {Area: "b", Num: "2"}: nil}
			ref.Shout("hey", at)
			impl.expect(t, "Shout", "hey", at)
		})
	}
}

// What cannot cross as a value of a type that crosses, as the codecs
// document it: JSON refuses NaN and the infinities and replaces invalid
// UTF-8, CBOR refuses invalid UTF-8.
func TestDocumentedLimits(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.Name(), func(t *testing.T) {
			ctx := context.Background()
			h := &hub{codec: c, owners: map[string]runtime.Service{}}
			host, caller := NewWideDispatcher(runtime.WithTransport(h)), NewWideDispatcher(runtime.WithTransport(h))
			t.Cleanup(func() {
				for _, d := range []*WideDispatcher{caller, host} {
					if err := d.Close(ctx); err != nil {
						t.Error(err)
					}
				}
			})
			impl := &wideImpl{got: make(chan []any, 16)}
			if err := host.Register("k", impl); err != nil {
				t.Fatal(err)
			}
			ref := caller.To("k")
			for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				_, _, err := ref.Ints(ctx, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, float32(f), f)
				switch c.Name() {
				case "json":
					if err == nil {
						t.Errorf("Ints with %v crossed JSON, which has no form for it", f)
						<-impl.got
					}
				default:
					if err != nil {
						t.Errorf("Ints with %v: %v", f, err)
						continue
					}
					got := <-impl.got
					g32, g64 := float64(got[13].(float32)), got[14].(float64)
					if math.IsNaN(f) && (!math.IsNaN(g32) || !math.IsNaN(g64)) || !math.IsNaN(f) && (g32 != f || g64 != f) {
						t.Errorf("Ints with %v: the recipient got %v and %v", f, g32, g64)
					}
				}
			}
			got, err := ref.To("a\xffb")
			switch c.Name() {
			case "json":
				if got != "a\ufffdb" || err != nil {
					t.Errorf("To(%q) = %q, %v; want the invalid byte replaced", "a\xffb", got, err)
				}
			default:
				if err == nil {
					t.Errorf("To(%q) = %q, %v; want an error", "a\xffb", got, err)
				}
			}
		})
	}
}
`

// TestRemoteAdvWideRoundTrip generates an interface annotated remote with
// every shape of parameter and result that crosses (collisions of names
// by case, blank and unnamed parameters, names of generated identifiers,
// variadics, an embedded interface of another package, aliases, generic
// types and a generic alias, pointers to pointers, json tags of its own,
// embedded structs, integer and TextMarshaler map keys, []byte and arrays,
// times, durations, netip, json.RawMessage and json.Number, integers at
// their extremes, several and named results), builds, vets and
// staticchecks it, and checks that every method's arguments and every
// result type, filled with non-zero values, cross both codecs as they were
// sent, and that calls through a transport that encodes them reach the
// recipient parameter by parameter.
func TestRemoteAdvWideRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module; skipped with -short")
	}
	dir, svc := advModule(t, wideSrc, map[string]string{"wide_test.go": wideTest})
	if _, err := gen.Run(gen.Config{Dir: svc}); err != nil {
		t.Fatal(err)
	}
	testmod.Go(t, dir, "vet", "./...")
	testmod.Go(t, dir, "run", testmod.Staticcheck, "./...")
	testmod.Go(t, dir, "test", "-count=1", "./...")
}

// TestRemoteAdvEmbeddedMarshaler: a struct that embeds time.Time has its
// promoted MarshalJSON, MarshalBinary and MarshalText, and the generator
// (marshalsItself in gen/remote.go, which looks at the method set with
// promoted methods) takes it as marshaling itself. Both codecs then write
// the time alone: the struct's own fields are lost, every time. Embedded
// by pointer, the methods run through the pointer: encoding a value whose
// pointer is nil, the zero value, panics, and decoding panics always,
// since the decoder calls UnmarshalJSON or UnmarshalBinary through the
// nil pointer of the value it decodes into, in the process that serves
// the call, where no one recovers it. The generator should refuse a
// struct whose marshal methods are promoted from an embedded field while
// it has other fields, or look at the fields instead.
func TestRemoteAdvEmbeddedMarshaler(t *testing.T) {
	crossOrRefuse(t, `package svc

import (
	"context"
	"time"
)

// Stamped embeds time.Time beside a field of its own.
type Stamped struct {
	time.Time
	Label string
}

// StampedPtr embeds *time.Time beside a field of its own.
type StampedPtr struct {
	*time.Time
	Label string
}

type Stamps interface {
	Stamp(ctx context.Context, s Stamped) error
	Last(ctx context.Context) (Stamped, error)
}

type StampPtrs interface {
	StampPtr(ctx context.Context, s StampedPtr) error
}
`, nil, []advCase{
		{"Stamps", "\tcheckResult[Stamped](t)\n"},
		{"StampPtrs", "\tcheckZero[StampedPtr](t)\n"},
	})
}

// TestRemoteAdvPromotedFieldConflicts: JSON, and CBOR after it, drop a
// promoted field that two embedded structs have at one depth, and one that
// a shallower field hides; the generator accepts both, and such a field
// never crosses. Both: Left.ID and Right.ID are dropped; Shadowed: the
// embedded Inner.ID is. typeProblem (gen/remote.go) checks each field
// alone, never the names they have on the wire.
func TestRemoteAdvPromotedFieldConflicts(t *testing.T) {
	crossOrRefuse(t, `package svc

import "context"

type Left struct{ ID int }

type Right struct {
	ID   int
	Name string
}

// Both has two promoted fields ID at one depth.
type Both struct {
	Left
	Right
}

type Inner struct {
	ID   int
	Note string
}

// Outer's ID hides Inner's.
type Outer struct {
	Inner
	ID int
}

type Ambiguous interface {
	Put(ctx context.Context, b Both) (Both, error)
}

type Shadowed interface {
	Put(ctx context.Context, o Outer) (Outer, error)
}
`, nil, []advCase{
		{"Ambiguous", "\tcheckResult[Both](t)\n"},
		{"Shadowed", "\tcheckResult[Outer](t)\n"},
	})
}

// TestRemoteAdvJSONTagConflicts: struct tags can keep an exported field
// from crossing, and the generator, which refuses an unexported field
// because the codec cannot write it, accepts these: two fields tagged
// with one JSON name (both dropped by both codecs), a tagged field named
// like an untagged one (the untagged dropped), a field tagged json:"-"
// (dropped by both), and one tagged cbor:"-" (dropped by CBOR alone, so
// that a call crosses JSON and loses it over CBOR).
func TestRemoteAdvJSONTagConflicts(t *testing.T) {
	requireRemoteAdversary(t)
	crossOrRefuse(t, `package svc

import "context"

// DupTag has two fields of one JSON name.
type DupTag struct {
	A int ‵json:"x"‵
	B int ‵json:"x"‵
}

// TagWins has a field tagged with the name of another.
type TagWins struct {
	X int
	Y int ‵json:"X"‵
}

// Dashed has a field the codecs skip.
type Dashed struct {
	Secret string ‵json:"-"‵
	Public string
}

// CBORDashed has a field CBOR alone skips.
type CBORDashed struct {
	Local  string ‵cbor:"-"‵
	Public string
}

type DupTags interface {
	Put(ctx context.Context, v DupTag) error
}

type TagWinners interface {
	Put(ctx context.Context, v TagWins) error
}

type Dasheds interface {
	Put(ctx context.Context, v Dashed) error
}

type CBORDasheds interface {
	Put(ctx context.Context, v CBORDashed) error
}
`, nil, []advCase{
		{"DupTags", ""},
		{"TagWinners", ""},
		{"Dasheds", ""},
		{"CBORDasheds", ""},
	}, "-structtag=false") // vet's structtag reports DupTag's, in the user's code
}

// TestRemoteAdvPointerMarshalerInMap: Temp marshals itself for JSON with
// pointer methods alone. marshalsItself (gen/remote.go) looks at the
// value's method set, says it does not, and checks its fields, which are
// exported: accepted. But a map's values are not addressable when encoded
// and are when decoded: encoding/json writes a map[string]Temp's values
// by their fields, {"C":21}, and decodes them with UnmarshalJSON, which
// fails on that, every time, for the arguments and for the result. (CBOR
// calls pointer methods on copies, and crosses.)
func TestRemoteAdvPointerMarshalerInMap(t *testing.T) {
	crossOrRefuse(t, `package svc

import (
	"context"
	"strconv"
	"strings"
)

// Temp writes itself as "21C".
type Temp struct{ C int }

func (t *Temp) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(strconv.Itoa(t.C) + "C")), nil }

func (t *Temp) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	t.C, err = strconv.Atoi(strings.TrimSuffix(s, "C"))
	return err
}

type Temps interface {
	Put(ctx context.Context, byCity map[string]Temp) (map[string]Temp, error)
}
`, nil, []advCase{{"Temps", "\tcheckResult[map[string]Temp](t)\n"}})
}

// TestRemoteAdvReadsItselfOnly: writesOnly (gen/remote.go) refuses a type
// that writes itself and cannot read itself back, but not the reverse: a
// type that reads itself with UnmarshalJSON or UnmarshalText and has no
// method to write itself, as configuration types often do. The codecs
// write it by its fields, and JSON reads it with its method, which does
// not read that: Dur (a time.Duration in a struct, read from "1.5s") and
// Coord (read from "x,y" text) fail to decode with JSON every time. CBOR
// reads Coord by its fields and crosses it, and reads Dur by its fields,
// which it wrote.
func TestRemoteAdvReadsItselfOnly(t *testing.T) {
	crossOrRefuse(t, `package svc

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Dur reads itself from a JSON string such as "1.5s".
type Dur struct{ time.Duration }

func (d *Dur) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	var err error
	d.Duration, err = time.ParseDuration(s)
	return err
}

// Coord reads itself from text such as "1,2".
type Coord struct{ X, Y int }

func (c *Coord) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d,%d", &c.X, &c.Y)
	return err
}

type Timeouts interface {
	Set(ctx context.Context, d Dur) (Dur, error)
}

type Coords interface {
	Move(ctx context.Context, c Coord) error
}
`, nil, []advCase{
		{"Timeouts", "\tcheckResult[Dur](t)\n"},
		{"Coords", ""},
	})
}

// TestRemoteAdvMapKeyTextForms: the generator takes a map key of string
// or integer kind as having a text form whatever its methods
// (isStringOrInteger before marshalsText in typeProblem, gen/remote.go),
// but the codecs do not agree on which form they write and read:
// encoding/json writes a key of string kind as the string and reads it
// with UnmarshalText when it has one (Prefixed: every key fails to
// decode); CBOR writes the MarshalText of a key that has one and, with no
// UnmarshalText, reads that text back as the string (Label: "x" arrives as
// "label:x"); a key of integer kind with MarshalText alone is written as
// its text by both and read by neither (Slot). As a value, Label and Slot
// are refused ("writes itself with MarshalText, and has no UnmarshalText");
// as keys they are not.
func TestRemoteAdvMapKeyTextForms(t *testing.T) {
	crossOrRefuse(t, `package svc

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Prefixed writes itself with a prefix and reads the prefix back.
type Prefixed string

func (p Prefixed) MarshalText() ([]byte, error) { return []byte("k:" + string(p)), nil }

func (p *Prefixed) UnmarshalText(b []byte) error {
	s, ok := strings.CutPrefix(string(b), "k:")
	if !ok {
		return fmt.Errorf("%q has no prefix k:", b)
	}
	*p = Prefixed(s)
	return nil
}

// Label writes itself as text, and cannot read it back.
type Label string

func (l Label) MarshalText() ([]byte, error) { return []byte("label:" + string(l)), nil }

// Slot writes itself as text, and cannot read it back.
type Slot int

func (s Slot) MarshalText() ([]byte, error) { return []byte("slot-" + strconv.Itoa(int(s))), nil }

type PrefixedKeys interface {
	Put(ctx context.Context, m map[Prefixed]int) (map[Prefixed]int, error)
}

type LabelKeys interface {
	Put(ctx context.Context, m map[Label]int) error
}

type SlotKeys interface {
	Put(ctx context.Context, m map[Slot]int) error
}
`, nil, []advCase{
		{"PrefixedKeys", "\tcheckResult[map[Prefixed]int](t)\n"},
		{"LabelKeys", ""},
		{"SlotKeys", ""},
	})
}

// TestRemoteAdvUintptr: typeProblem (gen/remote.go) refuses complex
// numbers and unsafe.Pointer among the basic types, and accepts uintptr,
// which fxamacker/cbor refuses to encode at all ("cbor: unsupported
// type"), zero or not, as a parameter, in a slice, as a map key and as a
// result: with natsdispatch.CBOR() every call fails.
func TestRemoteAdvUintptr(t *testing.T) {
	crossOrRefuse(t, `package svc

import "context"

type Addrs interface {
	Put(ctx context.Context, p uintptr, ps []uintptr, m map[uintptr]string) (uintptr, error)
}
`, nil, []advCase{{"Addrs", "\tcheckResult[uintptr](t)\n"}})
}

// TestRemoteAdvCBORLimitsByType: natsdispatch's CBOR decoder refuses an
// array of more than 65 536 elements and nesting deeper than 32 levels,
// which its doc presents as limits on hostile input; but a type can
// exceed them in every value, its zero value too, and the generator, which
// knows the type, accepts it: Samples, an array of 70 000 int16, and Deep,
// 33 nested arrays, never cross CBOR ("exceeded max number of elements",
// "exceeded max nested level"), though they cross JSON.
func TestRemoteAdvCBORLimitsByType(t *testing.T) {
	crossOrRefuse(t, `package svc

import "context"

// Samples is a fixed buffer of samples.
type Samples [70000]int16

// Deep is an array 33 levels deep.
type Deep [1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1]int

type Buffers interface {
	Put(ctx context.Context, s Samples) error
}

type Deeps interface {
	Put(ctx context.Context, d Deep) error
}
`, nil, []advCase{
		{"Buffers", "\tcheckZero[Samples](t)\n"},
		{"Deeps", "\tcheckZero[Deep](t)\n"},
	})
}

// TestRemoteAdvRefusedThoughItCrosses: the generator refuses *big.Int and
// *big.Rat, "big.Int has the unexported field neg, which the codec cannot
// write", though the codec never writes that field: *big.Int has
// MarshalJSON, MarshalText and UnmarshalJSON, UnmarshalText, and crosses
// both codecs (as the module's TestHandwritten shows). typeProblem
// (gen/remote.go) goes through the pointer to big.Int, whose value method
// set has no marshal method, and checks its fields. It refuses too a
// struct that embeds an unexported struct type by value, whose exported
// fields both codecs promote and carry. The test asks that they be
// generated, and cross.
func TestRemoteAdvRefusedThoughItCrosses(t *testing.T) {
	dir, svc := advModule(t, `package svc

import (
	"context"
	"math/big"
)

type inner struct{ X int }

// Outer embeds an unexported struct type, its field X promoted.
type Outer struct {
	inner
	Y int
}

type Numbers interface {
	Put(ctx context.Context, i *big.Int, r *big.Rat) (*big.Int, error)
}

type Outers interface {
	Put(ctx context.Context, o Outer) (Outer, error)
}
`, map[string]string{"special_test.go": `package svc

import (
	"math/big"
	"reflect"
	"testing"
)

func init() {
	special[reflect.TypeFor[*big.Int]()] = func(n int) any {
		i, _ := new(big.Int).SetString("-123456789012345678901234567890123456789", 10)
		return i.Add(i, big.NewInt(int64(n)))
	}
	special[reflect.TypeFor[*big.Rat]()] = func(n int) any { return big.NewRat(int64(n)+1, 3) }
	special[reflect.TypeFor[Outer]()] = func(n int) any { return Outer{inner{n}, n + 1} }
}

// TestHandwritten shows that what the generator refuses crosses both
// codecs.
func TestHandwritten(t *testing.T) {
	type args struct {
		I *big.Int
		R *big.Rat
		O Outer
	}
	checkResult[args](t)
}
`})
	for _, iface := range []string{"Numbers", "Outers"} {
		for _, d := range generateOne(t, svc, iface) {
			t.Errorf("%s is refused, but crosses: svc.go:%d:%d: %s", iface, d.Pos.Line, d.Pos.Column, d.Msg)
		}
	}
	if t.Failed() {
		testmod.Go(t, dir, "test", "-count=1", "-run=TestHandwritten", "./...")
		return
	}
	testmod.WriteFile(t, filepath.Join(svc, "generated_test.go"), `package svc

import "testing"

func TestGenerated(t *testing.T) {
	n, o := NewNumbersDispatcher(), NewOutersDispatcher()
	checkArgs(t, n.wire(), n.router.Dest("k"))
	checkArgs(t, o.wire(), o.router.Dest("k"))
}
`)
	testmod.Go(t, dir, "vet", "./...")
	testmod.Go(t, dir, "test", "-count=1", "./...")
}

// TestRemoteAdvResultNameTakenByMessage: for an unexported interface, the
// message type of a method MResult and the result struct of a method M
// with several results are both named mResult-like (wideMResult): when
// MResult comes first, declNames (gen/declnames.go) hands that name to its
// message with names.fresh, and then claim refuses the result struct's
// with "dispatchgen generates wideMResult for wide, but it is already
// declared: rename that declaration or the interface", though nothing the
// user wrote declares it. In the other order both are generated
// (wideMResult and wideMResult2). Remote or not.
func TestRemoteAdvResultNameTakenByMessage(t *testing.T) {
	for _, methods := range []string{
		"M(ctx context.Context) (int, string, error)\n\tMResult(ctx context.Context) error",
		"MResult(ctx context.Context) error\n\tM(ctx context.Context) (int, string, error)",
	} {
		_, svc := advModule(t, "package svc\n\nimport \"context\"\n\ntype wide interface {\n\t"+methods+"\n}\n", nil)
		if diags := generateOne(t, svc, "wide"); diags != nil {
			var msgs []string
			for _, d := range diags {
				msgs = append(msgs, d.Msg)
			}
			sort.Strings(msgs)
			t.Errorf("wide with methods in the order\n\t%s\nis refused: %s", methods, strings.Join(msgs, "; "))
		}
	}
}
