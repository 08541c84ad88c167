package gen

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/packages"
)

// typeChecks reports, at spec in p, the types that spec's declaration
// names but that did not type-check: the type it is declared as, and the
// interfaces it embeds, through those of the user's packages. go/types
// drops an embedded interface it cannot resolve, so that the interface
// would be generated without its methods, and makes a declaration of an
// undefined type an invalid basic type; either would be reported as
// something it is not.
func typeChecks(l *loaded, p *packages.Package, spec *ast.TypeSpec, diags *Diagnostics) bool {
	name := spec.Name.Name
	if tv, ok := p.TypesInfo.Types[spec.Type]; !ok || !validType(tv.Type) {
		diags.add(l.fset.Position(spec.Type.Pos()), "%s is declared as %s, which does not type-check", name, types.ExprString(spec.Type))
		typeErrorsAt(l, spec.Type, diags)
		return false
	}
	ok := true
	for _, chain := range badEmbeds(l, p.TypesInfo, spec, map[*ast.TypeSpec]bool{}) {
		names := make([]string, len(chain))
		for i, e := range chain {
			names[i] = types.ExprString(e)
		}
		diags.add(l.fset.Position(chain[0].Pos()), "%s embeds %s, which does not type-check", name, strings.Join(names, ", which embeds "))
		typeErrorsAt(l, chain[len(chain)-1], diags)
		ok = false
	}
	return ok
}

// badEmbeds returns, for each embedded type of spec's interface that did
// not type-check, or that embeds one that did not in the user's source, the
// embedded types that lead to it.
func badEmbeds(l *loaded, info *types.Info, spec *ast.TypeSpec, seen map[*ast.TypeSpec]bool) [][]ast.Expr {
	iface, _ := spec.Type.(*ast.InterfaceType)
	if iface == nil || seen[spec] {
		return nil
	}
	seen[spec] = true // an embedding cycle is a type error of its own
	defer delete(seen, spec)
	var bad [][]ast.Expr
	for _, f := range iface.Methods.List {
		if len(f.Names) > 0 {
			continue
		}
		tv, ok := info.Types[f.Type]
		if !ok || !validType(tv.Type) {
			bad = append(bad, []ast.Expr{f.Type})
			continue
		}
		if !l.inUserSource(typePos(tv.Type)) {
			continue
		}
		inner, innerInfo := declOf(l, tv.Type)
		if inner == nil {
			continue
		}
		if deeper := badEmbeds(l, innerInfo, inner, seen); len(deeper) > 0 {
			bad = append(bad, append([]ast.Expr{f.Type}, deeper[0]...))
		}
	}
	return bad
}

// typePos is where the named type t is declared, NoPos for another type.
func typePos(t types.Type) token.Pos {
	if named, ok := types.Unalias(t).(*types.Named); ok {
		return named.Obj().Pos()
	}
	return token.NoPos
}

func validType(t types.Type) bool {
	return t != nil && t != types.Typ[types.Invalid]
}

// typeErrorsAt reports the type errors on e's line, which say why e did
// not type-check.
func typeErrorsAt(l *loaded, e ast.Expr, diags *Diagnostics) {
	at := l.fset.Position(e.Pos())
	for _, p := range l.byPath {
		for _, err := range p.Errors {
			if pos := parsePos(err.Pos, p); pos.Filename == at.Filename && pos.Line == at.Line {
				diags.List = append(diags.List, Diagnostic{Pos: pos, Msg: err.Msg})
			}
		}
	}
}
