package sharedqueue

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// form is how a worker skips a message that is not its own.
type form int

const (
	drop    form = iota // continue or return: the message is lost
	putBack             // sent back into the channel it came from
)

// A skip is a worker loop's test of a field of the received value against
// the worker's identity, and the statement that skips the value when the
// test fails.
type skip struct {
	recv  *receive
	field ast.Expr // the field of the received value that is tested
	id    ast.Expr // what it is tested against: the worker's identity
	form  form
	at    ast.Node // the continue, the return, the send, or the test
}

// skipAt returns the skip of an if statement that tests a field of r's
// value against an identity, if the branch where the test fails drops the
// value or puts it back.
func (r *receive) skipAt(pass *analysis.Pass, ifs *ast.IfStmt) *skip {
	info := pass.TypesInfo
	field, id, equal, ok := r.identityTest(info, ifs.Init, ifs.Cond)
	if !ok {
		return nil
	}
	// The statements that run when the test fails, until the iteration
	// ends; the rest of the iteration runs after a branch that does not
	// end it.
	var failing []ast.Stmt
	endsIteration := false
	switch {
	case !equal:
		failing = ifs.Body.List
		endsIteration = terminates(ifs.Body)
	case ifs.Else != nil:
		failing = []ast.Stmt{ifs.Else}
		if b, ok := ifs.Else.(*ast.BlockStmt); ok {
			failing = b.List
		}
		endsIteration = terminates(ifs.Else)
	}
	return r.skipping(pass, ifs, ifs.Cond, field, id, failing, endsIteration)
}

// switchSkipAt returns the skip of a switch on a field of r's value with a
// case of an identity, if a value that matches none of its cases is dropped
// or put back.
func (r *receive) switchSkipAt(pass *analysis.Pass, sw *ast.SwitchStmt) *skip {
	info := pass.TypesInfo
	if sw.Tag == nil || !r.isField(info, sw.Tag) {
		return nil
	}
	var id ast.Expr
	var failing []ast.Stmt // the default clause's
	endsIteration := false
	for _, clause := range sw.Body.List {
		clause := clause.(*ast.CaseClause)
		if clause.List == nil {
			failing = clause.Body
			endsIteration = len(failing) > 0 && isTerminating(failing[len(failing)-1])
		}
		for _, e := range clause.List {
			if id == nil && r.isIdentity(info, e) {
				id = e
			}
		}
	}
	if id == nil {
		return nil
	}
	return r.skipping(pass, sw, sw.Tag, sw.Tag, id, failing, endsIteration)
}

// skipping returns the skip of the test of field against id at stmt, an if
// or a switch whose test is test, if failing, the statements that run when
// the test fails, drop r's value or put it back. If endsIteration is false,
// the rest of the iteration after stmt runs after failing.
func (r *receive) skipping(pass *analysis.Pass, stmt ast.Stmt, test, field, id ast.Expr, failing []ast.Stmt, endsIteration bool) *skip {
	info := pass.TypesInfo
	c, _ := r.loop.FindNode(stmt)
	if !endsIteration {
		rest, ok := following(c, r.loop)
		if !ok {
			return nil
		}
		failing = append(failing[:len(failing):len(failing)], rest...)
	}
	s := &skip{recv: r, field: field, id: id}
	if send := r.putBack(pass, failing); send != nil {
		s.form, s.at = putBack, send
		return s
	}
	if r.uses(info, failing) {
		return nil // handled some other way: forwarded, answered, kept
	}
	s.form = drop
	if len(failing) == 0 {
		s.at = test
		return s
	}
	switch last := failing[len(failing)-1].(type) {
	case *ast.ReturnStmt:
		s.at = last
	case *ast.BranchStmt:
		if last.Tok != token.CONTINUE || !r.continues(last) {
			return nil
		}
		s.at = last
	default:
		if endsIteration || isTerminating(last) {
			return nil // a break, a goto, a panic, or a nested branch
		}
		s.at = test // the iteration ends without the value
	}
	return s
}

// identityTest matches cond against a test of a field of r's value, with ==
// or !=, against an identity: a parameter, a receiver or a captured
// variable, or a field of one. equal says which of == and != the test is,
// once negations are undone.
func (r *receive) identityTest(info *types.Info, init ast.Stmt, cond ast.Expr) (field, id ast.Expr, equal, ok bool) {
	cond = ast.Unparen(cond)
	negated := false
	for {
		u, isNot := cond.(*ast.UnaryExpr)
		if !isNot || u.Op != token.NOT {
			break
		}
		negated = !negated
		cond = ast.Unparen(u.X)
	}
	if field, id, ok := r.lookup(info, init, cond); ok {
		return field, id, !negated, true
	}
	b, isBin := cond.(*ast.BinaryExpr)
	if !isBin || (b.Op != token.EQL && b.Op != token.NEQ) {
		return nil, nil, false, false
	}
	equal = (b.Op == token.EQL) != negated
	for _, pair := range [2][2]ast.Expr{{b.X, b.Y}, {b.Y, b.X}} {
		if r.isField(info, pair[0]) && r.isIdentity(info, pair[1]) {
			return pair[0], pair[1], equal, true
		}
	}
	return nil, nil, false, false
}

// lookup matches cond, the condition of an if with init, against a lookup
// of a field of r's value in a map of the worker's that holds the values it
// takes: w.owned[m.p], or ok after _, ok := w.owned[m.p]. It returns the
// field and the map.
func (r *receive) lookup(info *types.Info, init ast.Stmt, cond ast.Expr) (field, id ast.Expr, ok bool) {
	if id, isIdent := cond.(*ast.Ident); isIdent {
		a, isAssign := init.(*ast.AssignStmt)
		if !isAssign || len(a.Lhs) != 2 || len(a.Rhs) != 1 {
			return nil, nil, false
		}
		if okVar, isIdent := a.Lhs[1].(*ast.Ident); !isIdent || info.ObjectOf(okVar) == nil || info.ObjectOf(okVar) != info.ObjectOf(id) {
			return nil, nil, false
		}
		cond = ast.Unparen(a.Rhs[0])
	} else if t := info.TypeOf(cond); t == nil || !types.Identical(t.Underlying(), types.Typ[types.Bool]) {
		return nil, nil, false
	}
	ix, isIndex := cond.(*ast.IndexExpr)
	if !isIndex || !isMap(info.TypeOf(ix.X)) || !r.isField(info, ix.Index) || !r.isIdentity(info, ix.X) {
		return nil, nil, false
	}
	return ix.Index, ix.X, true
}

// isField reports whether e is a field of r's value, such as m.to,
// m.header.to or m.GetTo(), or what a map holds for one: owner[m.key].
func (r *receive) isField(info *types.Info, e ast.Expr) bool {
	if ix, ok := ast.Unparen(e).(*ast.IndexExpr); ok {
		return isMap(info.TypeOf(ix.X)) && r.isField(info, ix.Index)
	}
	switch ast.Unparen(e).(type) {
	case *ast.SelectorExpr, *ast.CallExpr:
	default:
		return false
	}
	root, fields := chainRoot(info, e)
	return fields && r.msgs[root]
}

// isIdentity reports whether e may identify the goroutine running r's loop:
// a variable of the function's own, a parameter, receiver or captured
// variable, or a field of one. Constants, package variables and the
// received value itself do not.
func (r *receive) isIdentity(info *types.Info, e ast.Expr) bool {
	if tv, ok := info.Types[e]; !ok || tv.Value != nil {
		return false
	}
	root, _ := chainRoot(info, e)
	if root == nil || r.msgs[root] || root.Pkg() == nil || root.Parent() == root.Pkg().Scope() {
		return false
	}
	return !within(root.Pos(), r.loop.Node()) // the loop's variables are the message's
}

// putBack returns the statement or call of failing that sends r's value
// back into the channel it came from, if there is one.
func (r *receive) putBack(pass *analysis.Pass, failing []ast.Stmt) ast.Node {
	info := pass.TypesInfo
	var send ast.Node
	for _, st := range failing {
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SendStmt:
				if v, ok := ast.Unparen(n.Value).(*ast.Ident); ok && r.msgs[asVar(info.Uses[v])] && sameRef(info, n.Chan, r.ch) {
					send = n
				}
			case *ast.CallExpr:
				if r.sendsBack(pass, n) {
					send = n
				}
			}
			return send == nil
		})
	}
	return send
}

// uses reports whether failing uses r's value other than to log it.
func (r *receive) uses(info *types.Info, failing []ast.Stmt) bool {
	used := false
	for _, st := range failing {
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isLogging(info, n) {
					return false
				}
			case *ast.Ident:
				if r.msgs[asVar(info.Uses[n])] {
					used = true
				}
			}
			return !used
		})
	}
	return used
}

// continues reports whether the continue statement br starts r's loop's next
// iteration.
func (r *receive) continues(br *ast.BranchStmt) bool {
	if br.Label == nil {
		return true // the statements of an iteration hold no other loop
	}
	l, ok := r.loop.Parent().Node().(*ast.LabeledStmt)
	return ok && l.Label.Name == br.Label.Name
}

// terminates reports whether a block or an else branch ends with a
// statement that leaves it.
func terminates(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.BlockStmt:
		return len(s.List) > 0 && isTerminating(s.List[len(s.List)-1])
	case *ast.IfStmt:
		return s.Else != nil && terminates(s.Body) && terminates(s.Else)
	}
	return false
}

// isTerminating reports whether s leaves the statements around it.
func isTerminating(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt, *ast.BranchStmt:
		return true
	case *ast.ExprStmt:
		call, ok := s.X.(*ast.CallExpr)
		if !ok {
			return false
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident)
		return ok && id.Name == "panic"
	case *ast.BlockStmt, *ast.IfStmt:
		return terminates(s)
	}
	return false
}

// isLogging reports whether call prints or logs: a function of fmt, log or
// log/slog, a method of their loggers, or a Log method of testing.
func isLogging(info *types.Info, call *ast.CallExpr) bool {
	fn, ok := typeutil.Callee(info, call).(*types.Func)
	if !ok || fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() {
	case "fmt", "log", "log/slog":
		return true
	case "testing":
		switch fn.Name() {
		case "Log", "Logf", "Error", "Errorf":
			return true
		}
	}
	return false
}
