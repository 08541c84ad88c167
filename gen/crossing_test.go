package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"
)

// wireSrc declares types that marshal themselves, one way or both, for
// TestWireProblemSelfMarshalers.
const wireSrc = `package p

// Both halves of every pair: crosses.
type Stamp struct{ s string }

func (Stamp) MarshalJSON() ([]byte, error)    { return nil, nil }
func (*Stamp) UnmarshalJSON([]byte) error     { return nil }
func (Stamp) MarshalBinary() ([]byte, error)  { return nil, nil }
func (*Stamp) UnmarshalBinary([]byte) error   { return nil }

// JSON's writer alone, as OpenTelemetry's trace.TraceID has.
type HexID [4]byte

func (HexID) MarshalJSON() ([]byte, error) { return nil, nil }

// Text's writer alone, which JSON uses when there is no JSON marshaler.
type Label struct{ Name string }

func (Label) MarshalText() ([]byte, error) { return nil, nil }

// JSON's pair, and a pointer's text writer alone, which JSON never uses
// but CBOR does.
type Shown struct{ N int }

func (Shown) MarshalJSON() ([]byte, error) { return nil, nil }
func (*Shown) UnmarshalJSON([]byte) error  { return nil }
func (*Shown) MarshalText() ([]byte, error) { return nil, nil }

// CBOR's binary writer alone, on the pointer.
type Blob struct{ Data []byte }

func (*Blob) MarshalBinary() ([]byte, error) { return nil, nil }

// CBOR's own writer alone.
type Packed struct{ N int }

func (Packed) MarshalCBOR() ([]byte, error) { return nil, nil }

// JSON's pair alone, with a field that CBOR, which writes the fields
// instead, cannot write.
type Money struct{ cents int64 }

func (Money) MarshalJSON() ([]byte, error) { return nil, nil }
func (*Money) UnmarshalJSON([]byte) error  { return nil }

// JSON's pair alone, with exported fields that CBOR writes.
type Point struct{ X, Y int }

func (Point) MarshalJSON() ([]byte, error) { return nil, nil }
func (*Point) UnmarshalJSON([]byte) error  { return nil }

// Binary's pair alone, with a field that JSON cannot write.
type Packet struct{ raw []byte }

func (Packet) MarshalBinary() ([]byte, error) { return nil, nil }
func (*Packet) UnmarshalBinary([]byte) error  { return nil }

// Text's pair, which both codecs use, with unexported fields.
type Name struct{ first, last string }

func (Name) MarshalText() ([]byte, error) { return nil, nil }
func (*Name) UnmarshalText([]byte) error  { return nil }

// The one-way type deep inside another.
type Holder struct{ Items map[string][]*HexID }
`

func TestWireProblemSelfMarshalers(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", wireSrc, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := new(types.Config).Check("p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := func(*types.Package) string { return "" }
	for _, c := range []struct{ name, want string }{
		{"Stamp", ""},
		{"Shown", "Shown writes itself with MarshalText, and has no UnmarshalText to read itself back"},
		{"Point", ""},
		{"Name", ""},
		{"Money", "Money has the unexported field cents, which the codec cannot write: Money marshals itself for JSON alone, and CBOR writes its fields"},
		{"Packet", "Packet has the unexported field raw, which the codec cannot write: Packet marshals itself for CBOR alone, and JSON writes its fields"},
		{"HexID", "HexID writes itself with MarshalJSON, and has no UnmarshalJSON to read itself back"},
		{"Label", "Label writes itself with MarshalText, and has no UnmarshalText to read itself back"},
		{"Blob", "Blob writes itself with MarshalBinary, and has no UnmarshalBinary to read itself back"},
		{"Packed", "Packed writes itself with MarshalCBOR, and has no UnmarshalCBOR to read itself back"},
		{"Holder", "Holder.Items: HexID writes itself with MarshalJSON, and has no UnmarshalJSON to read itself back"},
	} {
		typ := pkg.Scope().Lookup(c.name).Type()
		got := wireProblem(typ, q)
		if got != c.want {
			t.Errorf("wireProblem(%s) = %q, want %q", c.name, got, c.want)
		}
		if c.want != "" {
			if got := wireProblem(types.NewPointer(typ), q); !strings.Contains(got, c.want) {
				t.Errorf("wireProblem(*%s) = %q, want it to say %q", c.name, got, c.want)
			}
		}
	}
}
