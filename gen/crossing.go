package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"reflect"
	"strings"
)

// What crosses a process: a parameter or a result of a remote interface
// crosses if natsdispatch's codecs, JSON and CBOR, write it and read it
// back whole. These rules follow what encoding/json and fxamacker/cbor, as
// natsdispatch configures it, do.

// wireProblem says why a value of type t cannot cross a process through a
// codec (JSON or CBOR, which read exported struct fields, map keys with a
// text form and types that marshal themselves), or returns "".
func wireProblem(t types.Type, q types.Qualifier) string {
	// The codec reads and writes the arguments and results through a
	// pointer: they are addressable.
	path, why := typeProblem(t, q, false, true, map[seenType]bool{})
	switch {
	case why == "":
		// One level more for the arguments' own struct.
		if levels := 1 + nesting(t, make(map[*types.Named]int)); levels > cborMaxNested {
			return fmt.Sprintf("it nests %d levels of arrays, slices, maps and structs, more than the %d the CBOR codec reads", levels, cborMaxNested)
		}
		return ""
	case strings.HasPrefix(why, "has "):
		subject := strings.Join(path, ".")
		if subject == "" {
			subject = "it"
		}
		return subject + " " + why
	case len(path) > 0:
		return strings.Join(path, ".") + ": " + why
	}
	return why
}

// typeProblem finds what wireProblem reports, and the path of struct
// fields to it: the struct type's name first, when it has one and is not
// itself a field's. addr says whether the codec can take the address of a
// value of t where it is, which a map's value is not. seen holds the named
// types being checked, so that a recursive type ends.
func typeProblem(t types.Type, q types.Qualifier, field, addr bool, seen map[seenType]bool) (path []string, why string) {
	t = types.Unalias(t)
	if types.Identical(t, errorType) {
		// A transport carries a method's final error with its sentinel,
		// not an error value among the arguments, whose type the codec
		// cannot know.
		return nil, "an error crosses a process only as a method's last result"
	}
	byItself, why := selfMarshal(t, q, addr)
	if why != "" {
		return nil, why
	}
	if n, ok := t.(*types.Named); ok {
		return namedProblem(n, byItself, q, field, addr, seen)
	}
	switch t := t.(type) {
	case *types.Basic:
		switch {
		case t.Info()&types.IsComplex != 0:
			return nil, "a complex number has no codec form"
		case t.Kind() == types.UnsafePointer:
			return nil, "a pointer of package unsafe points into this process"
		case t.Kind() == types.Uintptr:
			return nil, "a uintptr is an address in this process, and CBOR has no form for it"
		}
	case *types.Chan:
		return nil, "a channel stays in its process"
	case *types.Signature:
		return nil, "a func stays in its process"
	case *types.TypeParam:
		return nil, "the type argument of " + t.Obj().Name() + " is not known here"
	case *types.Interface:
		if t.NumMethods() > 0 || !t.IsMethodSet() {
			return nil, "the codec cannot know which type to decode an interface with methods into; only any (interface{}) crosses"
		}
	case *types.Pointer:
		return typeProblem(t.Elem(), q, field, true, seen)
	case *types.Slice:
		return typeProblem(t.Elem(), q, field, true, seen)
	case *types.Map:
		if why := mapKeyProblem(t.Key(), q); why != "" {
			return nil, why
		}
		return typeProblem(t.Elem(), q, field, false, seen)
	case *types.Array:
		if t.Len() > cborMaxElements {
			return nil, fmt.Sprintf("an array of %d elements is more than the CBOR codec reads (%d)", t.Len(), cborMaxElements)
		}
		return typeProblem(t.Elem(), q, field, addr, seen)
	case *types.Struct:
		if why := fieldNameConflict(t); why != "" {
			return nil, why
		}
		for i := range t.NumFields() {
			f := t.Field(i)
			if !f.Exported() && !(f.Embedded() && isStruct(f.Type())) {
				// The codecs write the exported fields of an unexported
				// struct embedded by value as the outer struct's.
				return nil, "has the unexported field " + f.Name() + ", which the codec cannot write"
			}
			if path, why := typeProblem(f.Type(), q, true, addr, seen); why != "" {
				return append([]string{f.Name()}, path...), why
			}
		}
	}
	return nil, ""
}

// namedProblem is typeProblem for the named type n, which crosses by its
// own methods, when it has them for both codecs (byItself), or else by
// what it is.
func namedProblem(n *types.Named, byItself [2]bool, q types.Qualifier, field, addr bool, seen map[seenType]bool) (path []string, why string) {
	if seen[seenType{n, addr}] {
		return nil, ""
	}
	if byItself[0] && byItself[1] {
		return nil, ""
	}
	seen[seenType{n, addr}] = true
	path, why = typeProblem(n.Underlying(), q, field, addr, seen)
	if why != "" && byItself[0] != byItself[1] {
		// One codec would have crossed it; the other writes its fields.
		by, other := codecNames[0], codecNames[1]
		if byItself[1] {
			by, other = other, by
		}
		why += ": " + types.TypeString(n, q) + " marshals itself for " + by + " alone, and " + other + " writes its fields"
	}
	switch {
	case !isStruct(n) || why == "":
		return path, why
	case len(path) == 0:
		return nil, types.TypeString(n, q) + " " + why
	case field:
		return path, why
	}
	return append([]string{types.TypeString(n, q)}, path...), why
}

// fieldNameConflict says why two fields of st, its own or promoted from
// the structs it embeds, would cross as one name, which each codec writes
// for one of them at most, or neither: the same tag twice, or an outer
// field that shadows an embedded one.
func fieldNameConflict(st *types.Struct) string {
	for codec, tags := range [][]string{{"json"}, {"cbor", "json"}} {
		seen := make(map[string]string)
		var why string
		wireFields(st, "", tags, make(map[*types.Struct]bool), func(name, path string) bool {
			if other, dup := seen[name]; dup {
				why = fmt.Sprintf("has the fields %s and %s, which both cross %s as %q: the codec would keep one of them or neither",
					other, path, codecNames[codec], name)
				return false
			}
			seen[name] = path
			return true
		})
		if why != "" {
			return why
		}
	}
	return ""
}

// wireFields calls yield with the name, by the first of tags that names it
// or else its own, and the path of each field of st that a codec writes,
// the exported fields of embedded structs with no name of their own among
// them, until yield returns false.
func wireFields(st *types.Struct, prefix string, tags []string, visiting map[*types.Struct]bool, yield func(name, path string) bool) bool {
	if visiting[st] {
		return true
	}
	visiting[st] = true
	defer delete(visiting, st)
	for i := range st.NumFields() {
		f := st.Field(i)
		name, tagged, omitted := wireName(reflect.StructTag(st.Tag(i)), tags)
		if omitted {
			continue
		}
		if f.Embedded() && !tagged {
			elem := types.Unalias(f.Type())
			if p, ok := elem.Underlying().(*types.Pointer); ok {
				elem = p.Elem()
			}
			if inner, ok := elem.Underlying().(*types.Struct); ok {
				if !wireFields(inner, prefix+f.Name()+".", tags, visiting, yield) {
					return false
				}
				continue
			}
		}
		if !f.Exported() {
			continue
		}
		if !tagged {
			name = f.Name()
		}
		if !yield(name, prefix+f.Name()) {
			return false
		}
	}
	return true
}

// wireName returns the name the first of tags gives a field, and whether
// a tag gave one, or that the tag leaves the field out.
func wireName(tag reflect.StructTag, tags []string) (name string, tagged, omitted bool) {
	for _, key := range tags {
		v, ok := tag.Lookup(key)
		if !ok {
			continue
		}
		if v == "-" {
			return "", true, true
		}
		if name, _, _ = strings.Cut(v, ","); name != "" {
			return name, true, false
		}
	}
	return "", false, false
}

// The longest array, and the deepest nesting, that natsdispatch's CBOR
// codec reads.
const (
	cborMaxElements = 64 << 10
	cborMaxNested   = 32
)

// nesting returns how many levels of arrays, slices, maps and structs a
// value of type t may nest, as CBOR counts them: a byte string, or a type
// that marshals itself, is none. A recursive type counts its levels up to
// where it recurs. memo holds the named types done, and -1 for those under
// way.
func nesting(t types.Type, memo map[*types.Named]int) int {
	t = types.Unalias(t)
	if n, ok := t.(*types.Named); ok {
		if d, done := memo[n]; done {
			return max(d, 0)
		}
		if byItself, _ := selfMarshal(n, nil, true); byItself == [2]bool{true, true} {
			return 0
		}
		memo[n] = -1
		d := nesting(n.Underlying(), memo)
		memo[n] = d
		return d
	}
	switch t := t.(type) {
	case *types.Pointer:
		return nesting(t.Elem(), memo)
	case *types.Slice:
		if isByte(t.Elem()) {
			return 0
		}
		return 1 + nesting(t.Elem(), memo)
	case *types.Array:
		if t.Len() == 0 || isByte(t.Elem()) {
			return 0
		}
		return 1 + nesting(t.Elem(), memo)
	case *types.Map:
		return 1 + max(nesting(t.Key(), memo), nesting(t.Elem(), memo))
	case *types.Struct:
		d := 0
		for i := range t.NumFields() {
			d = max(d, nesting(t.Field(i).Type(), memo))
		}
		return 1 + d
	}
	return 0
}

func isByte(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}

func isStruct(t types.Type) bool {
	_, ok := types.Unalias(t).Underlying().(*types.Struct)
	return ok
}

// mapKeyProblem says why map keys of type k would not cross: both codecs
// write a string or an integer key as it is, and any other by MarshalText,
// but JSON reads a key by UnmarshalText whenever the key type has one.
func mapKeyProblem(k types.Type, q types.Qualifier) string {
	name := types.TypeString(k, q)
	writes := hasMethod(k, "MarshalText", marshalSig)
	reads := hasMethod(types.NewPointer(k), "UnmarshalText", unmarshalSig)
	b, basic := k.Underlying().(*types.Basic)
	switch {
	case basic && b.Info()&types.IsString != 0 && (writes || reads):
		return "map keys of type " + name + " are strings that JSON writes as they are and CBOR by MarshalText, and that JSON reads by UnmarshalText: use a key type without text methods, or one that is not a string"
	case basic && b.Info()&types.IsInteger != 0 && writes != reads:
		return "map keys of type " + name + " have MarshalText or UnmarshalText without the other, so the codec would read what it did not write"
	case isStringOrInteger(k) || (writes && reads):
		return ""
	}
	return "map keys of type " + name + " have no text form: use a string, an integer or an encoding.TextMarshaler"
}

// hasTextForm reports whether keys of type t have the text form the
// runtime writes them in: a string, an integer, or what the value's
// MarshalText writes.
func hasTextForm(t types.Type) bool {
	return isStringOrInteger(t) || hasMethod(t, "MarshalText", marshalSig)
}

func isStringOrInteger(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsString|types.IsInteger) != 0
}

// seenType is a named type being checked, where the codec can take the
// address of its values or not.
type seenType struct {
	n    *types.Named
	addr bool
}

// codecMarshalers are, for each codec natsdispatch offers (codecNames),
// the pairs of methods by which a value writes itself and reads itself
// back, the pair the codec prefers first: JSON's, then text's; CBOR's,
// then binary's, then text's, as natsdispatch configures CBOR. A codec
// uses the first pair of which a type has either method.
var codecMarshalers = [2][][2]string{
	{{"MarshalJSON", "UnmarshalJSON"}, {"MarshalText", "UnmarshalText"}},
	{{"MarshalCBOR", "UnmarshalCBOR"}, {"MarshalBinary", "UnmarshalBinary"}, {"MarshalText", "UnmarshalText"}},
}

var codecNames = [2]string{"JSON", "CBOR"}

// marshalerPair returns the methods of the pair by which codec i would have
// a value of type t write itself and read itself back, either nil when t
// lacks it, or two nils when t has no pair. Reading is always through a
// pointer; writing is too for CBOR, which copies a value it cannot
// address, and for JSON only where addr says the value is addressable.
func marshalerPair(t types.Type, i int, addr bool) (pair [2]string, writer, reader *types.Selection) {
	ptr := types.NewPointer(t)
	enc := t
	if addr || i == 1 {
		enc = ptr
	}
	for _, pair := range codecMarshalers[i] {
		writer, reader = method(enc, pair[0], marshalSig), method(ptr, pair[1], unmarshalSig)
		if writer != nil || reader != nil {
			return pair, writer, reader
		}
	}
	return pair, nil, nil
}

// selfMarshal reports, for each codec of codecMarshalers, whether it
// writes a value of type t, and reads it back, by a pair of t's own
// methods rather than by its fields, as time.Time has for both; or says
// why such methods would not make it cross: it writes a form it cannot
// read back (OpenTelemetry's trace.TraceID writes hexadecimal with
// MarshalJSON, which JSON cannot decode into its [16]byte), reads a form
// it did not write, or writes one field alone, by a method promoted from
// an embedded one.
func selfMarshal(t types.Type, q types.Qualifier, addr bool) (byItself [2]bool, why string) {
	if _, isPtr := t.Underlying().(*types.Pointer); isPtr {
		return byItself, ""
	}
	name := types.TypeString(t, q)
	for i := range codecMarshalers {
		pair, writer, reader := marshalerPair(t, i, addr)
		switch {
		case writer == nil && reader == nil:
			continue
		case reader == nil:
			return byItself, name + " writes itself with " + pair[0] + ", and has no " + pair[1] + " to read itself back"
		case writer != nil:
			if why := promotedProblem(t, name, pair[0], writer); why != "" {
				return byItself, why
			}
			byItself[i] = true
		case method(types.NewPointer(t), pair[0], marshalSig) != nil:
			return byItself, name + "'s " + pair[0] + " has a pointer receiver, which JSON does not call on a map's value, so " + pair[1] + " would read what " + pair[0] + " did not write"
		default:
			return byItself, name + " reads itself with " + pair[1] + ", and has no " + pair[0] + " to write what it reads"
		}
	}
	return byItself, ""
}

// promotedProblem says why writer, t's method name, which t may have from
// an embedded field, would not write t whole: the codec would write that
// field alone, and through an embedded pointer, nil in a new value, panic.
// A struct whose one field is embedded by value crosses as that field.
func promotedProblem(t types.Type, name, method string, writer *types.Selection) string {
	index := writer.Index()
	st, ok := t.Underlying().(*types.Struct)
	if !ok || len(index) < 2 {
		return ""
	}
	f := st.Field(index[0])
	_, viaPtr := f.Type().Underlying().(*types.Pointer)
	switch {
	case viaPtr:
		return name + " has " + method + " from its embedded pointer " + f.Name() + ", which is nil in a value the codec makes"
	case st.NumFields() > 1 || len(index) > 2:
		return name + " has " + method + " from its embedded field " + f.Name() + ", so the codec would write that field alone, not " + name + "'s others"
	}
	return ""
}

// The signatures of MarshalText and MarshalJSON, and of their reverses.
var (
	byteSlice    = types.NewSlice(types.Typ[types.Byte])
	errorType    = types.Universe.Lookup("error").Type()
	marshalSig   = types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewParam(token.NoPos, nil, "", byteSlice), types.NewParam(token.NoPos, nil, "", errorType)), false)
	unmarshalSig = types.NewSignatureType(nil, nil, nil, types.NewTuple(types.NewParam(token.NoPos, nil, "", byteSlice)), types.NewTuple(types.NewParam(token.NoPos, nil, "", errorType)), false)
)

// hasMethod reports whether t's method set has the method name with the
// signature sig.
func hasMethod(t types.Type, name string, sig *types.Signature) bool {
	return method(t, name, sig) != nil
}

// method returns the selection of the method name of t's method set, if it
// has the signature sig, or nil.
func method(t types.Type, name string, sig *types.Signature) *types.Selection {
	sel := types.NewMethodSet(t).Lookup(nil, name)
	if sel == nil {
		return nil
	}
	fn, ok := sel.Obj().(*types.Func)
	if !ok {
		return nil
	}
	got := fn.Signature()
	if !types.Identical(types.NewSignatureType(nil, nil, nil, got.Params(), got.Results(), got.Variadic()), sig) {
		return nil
	}
	return sel
}
