package sharedqueue

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
)

// A receive is a value received from a channel inside a loop: the worker
// loop.
type receive struct {
	at   ast.Node            // the receive: the range statement's channel, or <-ch
	stmt ast.Stmt            // the statement that receives: a range or an assignment
	msg  *types.Var          // the value received
	msgs map[*types.Var]bool // msg, and the variables a type switch or assertion of it defines
	ch   ast.Expr            // the channel
	loop inspector.Cursor
	fn   inspector.Cursor // the *ast.FuncDecl or *ast.FuncLit the loop is in
}

// findSkips returns the skips of the package, before anything is known of
// the goroutines that run them.
func findSkips(pass *analysis.Pass, insp *inspector.Inspector) []*skip {
	var skips []*skip
	for c := range insp.Root().Preorder((*ast.RangeStmt)(nil), (*ast.AssignStmt)(nil)) {
		r := receiveAt(pass.TypesInfo, c)
		if r == nil {
			continue
		}
		skips = append(skips, r.skips(pass)...)
	}
	return skips
}

// receiveAt returns the receive of the statement at c, if it is one inside
// a loop.
func receiveAt(info *types.Info, c inspector.Cursor) *receive {
	r := &receive{}
	switch s := c.Node().(type) {
	case *ast.RangeStmt:
		id, ok := s.Key.(*ast.Ident)
		if !ok || !isChan(info.TypeOf(s.X)) {
			return nil
		}
		r.at, r.ch, r.loop = s.X, s.X, c
		r.msg, _ = info.ObjectOf(id).(*types.Var)
	case *ast.AssignStmt:
		if len(s.Rhs) != 1 || len(s.Lhs) > 2 {
			return nil
		}
		u, ok := ast.Unparen(s.Rhs[0]).(*ast.UnaryExpr)
		if !ok || u.Op != token.ARROW {
			return nil
		}
		id, ok := s.Lhs[0].(*ast.Ident)
		if !ok {
			return nil
		}
		r.at, r.ch = u, u.X
		r.msg, _ = info.ObjectOf(id).(*types.Var)
		for l := range c.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
			switch l.Node().(type) {
			case *ast.ForStmt, *ast.RangeStmt:
				r.loop = l
			}
			break
		}
		if !r.loop.Valid() {
			return nil
		}
	}
	if r.msg == nil {
		return nil
	}
	r.stmt = c.Node().(ast.Stmt)
	for f := range r.loop.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		r.fn = f
		break
	}
	return r
}

// skips returns the skips that follow r in its loop's iteration.
func (r *receive) skips(pass *analysis.Pass) []*skip {
	var stmts []ast.Stmt
	if rs, ok := r.stmt.(*ast.RangeStmt); ok {
		stmts = rs.Body.List
	} else {
		c, _ := r.loop.FindNode(r.stmt)
		var first []ast.Stmt
		switch p := c.Parent().Node().(type) {
		case *ast.IfStmt, *ast.SwitchStmt:
			// if m := <-q; m.to != id: the statement whose initializer
			// receives is the first to follow.
			if initOf(p) == r.stmt {
				first, c = []ast.Stmt{p.(ast.Stmt)}, c.Parent()
			}
		}
		rest, ok := following(c, r.loop)
		if !ok {
			return nil
		}
		stmts = append(first, rest...)
	}
	r.msgs = map[*types.Var]bool{r.msg: true}
	var skips []*skip
	for _, st := range stmts {
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit, *ast.ForStmt, *ast.RangeStmt:
				return false // another function, or another loop's iterations
			case *ast.TypeSwitchStmt, *ast.AssignStmt:
				// Seen before the tests in their scope, which come after.
				r.asserted(pass.TypesInfo, n)
			case *ast.IfStmt:
				if s := r.skipAt(pass, n); s != nil {
					skips = append(skips, s)
				}
			case *ast.SwitchStmt:
				if s := r.switchSkipAt(pass, n); s != nil {
					skips = append(skips, s)
				}
			}
			return true
		})
	}
	return skips
}

// asserted adds to r's variables of its value those that n, a type switch
// or an assignment, defines as the value of a type: those of a type switch
// on it, and one it is asserted to.
func (r *receive) asserted(info *types.Info, n ast.Node) {
	of := func(e ast.Expr) bool {
		a, ok := ast.Unparen(e).(*ast.TypeAssertExpr)
		if !ok {
			return false
		}
		id, ok := ast.Unparen(a.X).(*ast.Ident)
		return ok && info.Uses[id] == r.msg
	}
	switch n := n.(type) {
	case *ast.TypeSwitchStmt:
		if a, ok := n.Assign.(*ast.AssignStmt); ok && len(a.Rhs) == 1 && of(a.Rhs[0]) {
			for _, clause := range n.Body.List {
				if v, ok := info.Implicits[clause].(*types.Var); ok {
					r.msgs[v] = true
				}
			}
		}
	case *ast.AssignStmt:
		if id, ok := n.Lhs[0].(*ast.Ident); ok && n.Tok == token.DEFINE && len(n.Rhs) == 1 && of(n.Rhs[0]) {
			if v, ok := info.Defs[id].(*types.Var); ok {
				r.msgs[v] = true
			}
		}
	}
}

// initOf returns the initializer of an if or a switch statement.
func initOf(n ast.Node) ast.Stmt {
	switch n := n.(type) {
	case *ast.IfStmt:
		return n.Init
	case *ast.SwitchStmt:
		return n.Init
	}
	return nil
}

// following returns the statements that run after the one at c until the
// iteration of loop ends, and false if control leaves it in a way they do
// not follow.
func following(c, loop inspector.Cursor) ([]ast.Stmt, bool) {
	var stmts []ast.Stmt
	for c != loop {
		parent := c.Parent()
		n := c.Node()
		switch p := parent.Node().(type) {
		case *ast.BlockStmt:
			switch n.(type) {
			case *ast.CaseClause, *ast.CommClause:
				// The clauses of a switch or a select: after one, control
				// leaves the statement.
			default:
				stmts = append(stmts, after(p.List, n)...)
			}
		case *ast.CaseClause:
			stmts = append(stmts, after(p.Body, n)...)
		case *ast.CommClause:
			if p.Comm == n {
				stmts = append(stmts, p.Body...)
			} else {
				stmts = append(stmts, after(p.Body, n)...)
			}
		case *ast.IfStmt:
			if p.Init == n || p.Cond == n {
				return nil, false
			}
		case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.LabeledStmt:
		case *ast.ForStmt:
			if parent != loop || n != p.Body {
				return nil, false
			}
		case *ast.RangeStmt:
			if parent != loop || n != p.Body {
				return nil, false
			}
		default:
			return nil, false
		}
		c = parent
	}
	return stmts, true
}

// after returns the statements of list after n.
func after(list []ast.Stmt, n ast.Node) []ast.Stmt {
	for i, s := range list {
		if s == n {
			return list[i+1:]
		}
	}
	return nil
}
