package sharedqueue

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/types/typeutil"
)

// resolve returns what e, selected by path, is where it is made: the value
// that a composite literal gives the first field of path, e being the
// literal or a local variable of body defined with one, and so on down
// path; and what is left of path. A worker made as &worker{id: i, inbox: q}
// receives from q, not from a channel of its own.
func (g *goroutines) resolve(body *ast.BlockStmt, e ast.Expr, path []string) (ast.Expr, []string) {
	for len(path) > 0 {
		var value ast.Expr
		if root, fields := chainPath(g.info, e); root != nil && body != nil && within(root.Pos(), body) {
			full := append(slices.Clip(fields), path...)
			if value = g.fieldOfVar(body, root, full[0]); value != nil {
				path = full
			}
		} else {
			value = g.fieldOf(e, path[0])
		}
		if value == nil {
			break
		}
		e, path = value, path[1:]
	}
	return e, path
}

// fieldOfVar returns the value that the composite literal v is defined with
// gives the field name, if no assignment in body changes that field.
func (g *goroutines) fieldOfVar(body *ast.BlockStmt, v *types.Var, name string) ast.Expr {
	def := definition(g.info, body, v)
	if def == nil || definedPath(g.info, body, v, []string{name}) == nil {
		return nil
	}
	return g.fieldOf(def, name)
}

// fieldOf returns the value that e, a composite literal or a call of a
// constructor, gives the field name, or nil if it cannot be told.
func (g *goroutines) fieldOf(e ast.Expr, name string) ast.Expr {
	if value := literalField(g.info, e, name); value != nil {
		return value
	}
	if call, ok := ast.Unparen(e).(*ast.CallExpr); ok {
		return g.constructed(call, name)
	}
	return nil
}

// constructed returns the value that call, of a function of the package
// with one return statement, gives the field name of what it returns: a
// constant, a new value, or the argument bound to a parameter that the
// function sets the field to, or nil if it is something else.
func (g *goroutines) constructed(call *ast.CallExpr, name string) ast.Expr {
	fn := typeutil.StaticCallee(g.info, call)
	if fn == nil {
		return nil
	}
	decl := g.decls[fn.Origin()]
	if decl == nil || decl.Body == nil || fn.Signature().Variadic() {
		return nil
	}
	var ret *ast.ReturnStmt
	returns := 0
	ast.Inspect(decl.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			ret, returns = n, returns+1
		}
		return true
	})
	if returns != 1 || len(ret.Results) != 1 {
		return nil
	}
	value := literalField(g.info, ret.Results[0], name)
	if id, ok := ast.Unparen(ret.Results[0]).(*ast.Ident); ok {
		// A variable defined with a literal, not with a call: a
		// constructor is not followed into another, which may be itself.
		if v, ok := g.info.Uses[id].(*types.Var); ok && definedPath(g.info, decl.Body, v, []string{name}) != nil {
			if def := definition(g.info, decl.Body, v); def != nil {
				value = literalField(g.info, def, name)
			}
		}
	}
	if value == nil {
		return nil
	}
	if tv, ok := g.info.Types[value]; (ok && tv.Value != nil) || isFresh(g.info, ast.Unparen(value)) {
		return value
	}
	id, ok := ast.Unparen(value).(*ast.Ident)
	if !ok {
		return nil
	}
	_, args := callArgs(g.info, call)
	params := fn.Origin().Signature().Params()
	for i := range params.Len() {
		if params.At(i) == g.info.Uses[id] && i < len(args) {
			return args[i]
		}
	}
	return nil
}

// definedPath returns path, the fields of v read, if what v is defined with
// in body tells them, and nil, the whole of v, if body assigns the first.
func definedPath(info *types.Info, body *ast.BlockStmt, v *types.Var, path []string) []string {
	if len(path) == 0 || fieldAssigned(info, body, v, path[0]) {
		return nil
	}
	return path
}

// literalField returns the value that e, a composite literal of a struct or
// the address of one, gives the field name, or nil if it gives it none.
func literalField(info *types.Info, e ast.Expr, name string) ast.Expr {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = ast.Unparen(u.X)
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok || info.TypeOf(lit) == nil {
		return nil
	}
	st, ok := info.TypeOf(lit).Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	for i, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv.Value
			}
		} else if i < st.NumFields() && st.Field(i).Name() == name {
			return elt
		}
	}
	return nil
}

// isConstantLit reports whether e is a composite literal, not its address,
// with elements that are all constants or such literals: each goroutine
// given one holds the same value as the others, as with a set of kinds,
// map[string]bool{"click": true}. An empty one may be filled in after.
func isConstantLit(info *types.Info, e ast.Expr) bool {
	lit, ok := ast.Unparen(e).(*ast.CompositeLit)
	if !ok || len(lit.Elts) == 0 || info.TypeOf(lit) == nil {
		return false
	}
	constant := func(e ast.Expr) bool {
		tv, ok := info.Types[e]
		return (ok && tv.Value != nil) || isConstantLit(info, e)
	}
	_, isStruct := info.TypeOf(lit).Underlying().(*types.Struct)
	for _, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if !constant(kv.Value) || (!isStruct && !constant(kv.Key)) {
				return false
			}
		} else if !constant(elt) {
			return false
		}
	}
	return true
}

// fieldAssigned reports whether body assigns the field name of v, or takes
// its address.
func fieldAssigned(info *types.Info, body *ast.BlockStmt, v *types.Var, name string) bool {
	is := func(e ast.Expr) bool {
		root, path := chainPath(info, e)
		return root == v && len(path) > 0 && path[0] == name
	}
	assigned := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			assigned = assigned || slices.ContainsFunc(n.Lhs, is)
		case *ast.UnaryExpr:
			assigned = assigned || (n.Op == token.AND && is(n.X))
		}
		return !assigned
	})
	return assigned
}
