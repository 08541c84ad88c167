package templates

import (
	"fmt"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/dispatchgen/dispatchgen/model"
)

func basic(name string) model.Type { return model.Type{Kind: model.Basic, Name: name} }

func ptr(k model.Kind, elem model.Type) model.Type { return model.Type{Kind: k, Elem: &elem} }

func ch(dir model.ChanDir, elem model.Type) model.Type {
	return model.Type{Kind: model.Chan, Dir: dir, Elem: &elem}
}

func TestTypeCode(t *testing.T) {
	const here = "example.com/here"
	for _, tc := range []struct {
		t    model.Type
		want string
	}{
		{basic("any"), "any"},
		{model.Type{Kind: model.Named, Name: "Local", Path: here}, "Local"},
		{model.Type{Kind: model.Named, Name: "Duration", Path: "time", PkgName: "time"}, "time.Duration"},
		{model.Type{Kind: model.Named, Name: "Pair", Args: []model.Type{basic("int"), {Kind: model.TypeParamRef, Name: "V"}}}, "Pair[int, V]"},
		{ptr(model.Pointer, basic("int")), "*int"},
		{ptr(model.Slice, basic("byte")), "[]byte"},
		{model.Type{Kind: model.Array, Len: 4, Elem: &model.Type{Kind: model.Basic, Name: "rune"}}, "[4]rune"},
		{model.Type{Kind: model.Map, Key: &model.Type{Kind: model.Basic, Name: "string"}, Elem: &model.Type{Kind: model.Basic, Name: "int"}}, "map[string]int"},
		// A receive-only channel inside a bidirectional one needs parentheses.
		{ch(model.SendRecv, ch(model.RecvOnly, basic("int"))), "chan (<-chan int)"},
		{ch(model.SendOnly, ch(model.RecvOnly, basic("int"))), "chan<- <-chan int"},
		{ch(model.RecvOnly, ch(model.SendRecv, basic("int"))), "<-chan chan int"},
		{model.Type{Kind: model.Func, Params: []model.Var{{Type: basic("int")}, {Type: ptr(model.Slice, basic("string"))}}, Variadic: true,
			Results: []model.Var{{Type: basic("bool")}, {Type: basic("error")}}}, "func(int, ...string) (bool, error)"},
		{model.Type{Kind: model.Func, Results: []model.Var{{Type: basic("int")}}}, "func() int"},
		{model.Type{Kind: model.Struct, Fields: []model.Var{{Name: "X", Type: basic("int"), Tag: `json:"x"`}, {Type: model.Type{Kind: model.Named, Name: "Reader", Path: "io", PkgName: "io"}, Embedded: true}}},
			"struct {\n\tX int \"json:\\\"x\\\"\"\n\tio.Reader\n}"},
		{model.Type{Kind: model.Interface, Embeds: []model.Type{{Kind: model.Union, Terms: []model.Term{{Tilde: true, Type: basic("int")}, {Type: basic("string")}}}}},
			"interface {\n\t~int | string\n}"},
	} {
		f := jen.NewFilePathName(here, "here")
		f.Var().Id("_").Add(typeCode(here, tc.t))
		got := fmt.Sprintf("%#v", f)
		want := "var _ " + tc.want
		if !containsLine(got, want) {
			t.Errorf("typeCode(%+v):\n%s\nwant a line: %s", tc.t, got, want)
		}
	}
}

// containsLine reports whether text, once past its import block, contains
// want as a whole.
func containsLine(text, want string) bool {
	for i := 0; i+len(want) <= len(text); i++ {
		if text[i:i+len(want)] == want && (i+len(want) == len(text) || text[i+len(want)] == '\n') {
			return true
		}
	}
	return false
}
