package sharedqueue

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"slices"
)

// chainRoot returns the variable at the root of a chain of field selections
// and getters such as a.b.C(), and whether there is at least one of them;
// a conversion, int64(a.b), is its operand.
func chainRoot(info *types.Info, e ast.Expr) (root *types.Var, fields bool) {
	root, path := chainPath(info, e)
	return root, len(path) > 0
}

// chainPath returns the variable at the root of a chain of field
// selections and getters such as a.b.C(), and the fields selected, from the
// root out: [b C()]. A conversion, int64(a.b), is its operand.
func chainPath(info *types.Info, e ast.Expr) (root *types.Var, path []string) {
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			v, _ := info.ObjectOf(x).(*types.Var)
			slices.Reverse(path)
			return v, path
		case *ast.SelectorExpr:
			if sel := info.Selections[x]; sel == nil || sel.Kind() != types.FieldVal {
				return nil, nil
			}
			e, path = x.X, append(path, x.Sel.Name)
		case *ast.CallExpr:
			if isConversion(info, x) {
				e = x.Args[0]
				continue
			}
			sel := getter(info, x)
			if sel == nil {
				return nil, nil
			}
			e, path = sel.X, append(path, sel.Sel.Name+"()")
		case *ast.StarExpr:
			e = x.X
		default:
			return nil, nil
		}
	}
}

// getter returns the method call's selector if call calls a method with
// no arguments and one result, as m.GetTo(): it reads the value as a field
// does.
func getter(info *types.Info, call *ast.CallExpr) *ast.SelectorExpr {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || len(call.Args) > 0 {
		return nil
	}
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal {
		return nil
	}
	if sig, ok := s.Type().(*types.Signature); !ok || sig.Results().Len() != 1 {
		return nil
	}
	return sel
}

// callArgs returns the receiver and the arguments that call binds to its
// callee's receiver, if it calls a method, and its parameters: a method
// expression, (*T).m(t, x), takes its receiver as its first argument.
func callArgs(info *types.Info, call *ast.CallExpr) (recv ast.Expr, args []ast.Expr) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, call.Args
	}
	switch s := info.Selections[sel]; {
	case s == nil:
	case s.Kind() == types.MethodVal:
		return sel.X, call.Args
	case s.Kind() == types.MethodExpr && len(call.Args) > 0:
		return call.Args[0], call.Args[1:]
	}
	return nil, call.Args
}

// isConversion reports whether call converts a value to a type, as
// int64(w.id) does: the value it gives is the one it converts.
func isConversion(info *types.Info, call *ast.CallExpr) bool {
	tv, ok := info.Types[call.Fun]
	return ok && tv.IsType() && len(call.Args) == 1
}

// asVar returns obj if it is a variable, and nil otherwise.
func asVar(obj types.Object) *types.Var {
	v, _ := obj.(*types.Var)
	return v
}

// sameRef reports whether a and b name the same variable, or the same field
// of the same variable.
func sameRef(info *types.Info, a, b ast.Expr) bool {
	a, b = ast.Unparen(a), ast.Unparen(b)
	switch a := a.(type) {
	case *ast.Ident:
		b, ok := b.(*ast.Ident)
		return ok && info.ObjectOf(a) != nil && info.ObjectOf(a) == info.ObjectOf(b)
	case *ast.SelectorExpr:
		b, ok := b.(*ast.SelectorExpr)
		return ok && info.ObjectOf(a.Sel) == info.ObjectOf(b.Sel) && sameRef(info, a.X, b.X)
	case *ast.StarExpr:
		b, ok := b.(*ast.StarExpr)
		return ok && sameRef(info, a.X, b.X)
	}
	return false
}

// isChan reports whether t is a channel type.
func isChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

// isMap reports whether t is a map type.
func isMap(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Map)
	return ok
}

// within reports whether pos lies inside n.
func within(pos token.Pos, n ast.Node) bool {
	return n.Pos() <= pos && pos < n.End()
}

// exprString prints e as it is written.
func exprString(fset *token.FileSet, e ast.Expr) string {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, e); err != nil {
		return types.ExprString(e)
	}
	return buf.String()
}
