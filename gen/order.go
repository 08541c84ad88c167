package gen

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"

	"golang.org/x/tools/go/packages"
)

// ifaceMethod is one method of a recipient interface.
type ifaceMethod struct {
	fn *types.Func
	// via is the embedding in the interface's own declaration through
	// which the method came, NoPos for a method it declares itself or when
	// its declaration was not parsed.
	via token.Pos
}

// orderedMethods returns the methods of named's interface in the order its
// declaration lists them, each embedded interface's methods where the
// embedding stands. Where no syntax was loaded, an interface's own methods
// come in source position order, then its embedded interfaces' methods.
func orderedMethods(l *loaded, named *types.Named, spec *ast.TypeSpec, decl *packages.Package) []ifaceMethod {
	iface := named.Underlying().(*types.Interface)
	byName := map[string]*types.Func{}
	for i := range iface.NumMethods() {
		byName[iface.Method(i).Name()] = iface.Method(i)
	}
	var out []ifaceMethod
	seen := map[string]bool{}
	add := func(name string, via token.Pos) {
		if fn := byName[name]; fn != nil && !seen[name] {
			seen[name] = true
			out = append(out, ifaceMethod{fn: fn, via: via})
		}
	}
	var walk func(t types.Type, spec *ast.TypeSpec, info *types.Info, via token.Pos, depth int)
	walk = func(t types.Type, spec *ast.TypeSpec, info *types.Info, via token.Pos, depth int) {
		it, _ := t.Underlying().(*types.Interface)
		if it == nil || depth > 32 {
			return
		}
		if spec != nil && info != nil {
			if at, ok := spec.Type.(*ast.InterfaceType); ok {
				for _, f := range at.Methods.List {
					for _, id := range f.Names {
						add(id.Name, via)
					}
					if len(f.Names) == 0 {
						et := info.TypeOf(f.Type)
						if et == nil {
							continue
						}
						embed := via
						if depth == 0 {
							embed = f.Type.Pos()
						}
						es, einfo := declOf(l, et)
						walk(et, es, einfo, embed, depth+1)
					}
				}
				return
			}
		}
		own := make([]*types.Func, 0, it.NumExplicitMethods())
		for i := range it.NumExplicitMethods() {
			own = append(own, it.ExplicitMethod(i))
		}
		sort.SliceStable(own, func(i, j int) bool { return own[i].Pos() < own[j].Pos() })
		for _, fn := range own {
			add(fn.Name(), via)
		}
		for i := range it.NumEmbeddeds() {
			et := it.EmbeddedType(i)
			es, einfo := declOf(l, et)
			walk(et, es, einfo, via, depth+1)
		}
	}
	var info *types.Info
	if decl != nil {
		info = decl.TypesInfo
	}
	walk(named, spec, info, token.NoPos, 0)
	// Anything the walk missed, by name, so that nothing is ever dropped.
	var rest []string
	for name := range byName {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		add(name, token.NoPos)
	}
	return out
}

// declOf finds the declaration of a named type among the loaded packages.
func declOf(l *loaded, t types.Type) (*ast.TypeSpec, *types.Info) {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return nil, nil
	}
	p := l.byPath[n.Obj().Pkg().Path()]
	if p == nil || p.TypesInfo == nil {
		return nil, nil
	}
	return specOf(p, n.Origin().Obj()), p.TypesInfo
}
