// Package sharedqueue defines an Analyzer that finds the shared-queue bug:
// several goroutines receive from one channel, and each skips the messages
// addressed to another, either dropping them (they are lost) or putting them
// back (they circle among the wrong workers, delayed without bound).
//
// The command dispatchvet runs it; its documentation describes the bug, what
// is reported and the fix.
package sharedqueue

import (
	"fmt"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// Analyzer reports a worker loop that receives from a channel shared by
// several goroutines and skips the messages addressed to another worker.
var Analyzer = &analysis.Analyzer{
	Name:     "sharedqueue",
	Doc:      "report workers that share one channel and skip the messages addressed to another\n\nSeveral goroutines receive from one channel, and each drops the messages that are not its own (they are lost) or sends them back into the channel (they circle among the wrong workers). Give each worker its own mailbox instead: a //dispatch:recipient interface, or a channel per worker.",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// fix is what every diagnostic says to do instead.
const fix = "give each worker its own mailbox (a //dispatch:recipient interface, or a channel per worker)"

func run(pass *analysis.Pass) (any, error) {
	insp := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	var starts *goroutines // built for the first skip found: most packages have none
	for _, s := range findSkips(pass, insp) {
		if starts == nil {
			starts = indexGoroutines(pass, insp)
		}
		site := starts.sharedQueue(s)
		if site == nil {
			continue
		}
		report(pass, s, site)
	}
	return nil, nil
}

// report says what goes wrong at s, the skip, and where the shared queue is
// received from and its workers started.
func report(pass *analysis.Pass, s *skip, site *site) {
	msg, ch := s.recv.msg.Name(), exprString(pass.Fset, s.recv.ch)
	var text string
	switch s.form {
	case drop:
		text = fmt.Sprintf("%s is dropped when it is addressed to another worker: every worker receives from %s, so the messages a wrong one takes are lost; %s", msg, ch, fix)
	case putBack:
		text = fmt.Sprintf("%s is put back into %s when it is addressed to another worker: the messages circle among the wrong workers, delayed without bound; %s", msg, ch, fix)
	}
	pass.Report(analysis.Diagnostic{
		Pos:     s.at.Pos(),
		End:     s.at.End(),
		Message: text,
		Related: []analysis.RelatedInformation{
			{Pos: s.recv.at.Pos(), End: s.recv.at.End(), Message: "every worker receives from " + ch + " here"},
			{Pos: site.at.Pos(), End: site.at.End(), Message: "the workers are started here"},
		},
	})
}
