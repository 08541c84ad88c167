package gen

import (
	"errors"
	"go/token"
	"sort"
)

// Check returns what Generate does, and, for every other file that
// dispatchgen generated in the run's packages, what the run that made it
// would produce now: that run's flags are the ones the file records. A file
// that changes is stale.
func Check(cfg Config) (*Result, error) {
	res, l, err := generate(cfg)
	switch {
	case errors.Is(err, ErrNothing) && l != nil:
		res = &Result{} // other runs may have made files here
	case err != nil:
		return nil, err
	}
	diags := &Diagnostics{Dir: l.dir}
	own := runLine(cfg)
	for _, dir := range targetDirs(l) {
		gfs, err := generatedFiles(dir)
		if err != nil {
			return nil, err
		}
		runs := map[string]generatedFile{}
		for _, g := range gfs {
			if _, seen := runs[g.line]; !seen && g.line != own {
				runs[g.line] = g
			}
		}
		lines := make([]string, 0, len(runs))
		for line := range runs {
			lines = append(lines, line)
		}
		sort.Strings(lines)
		for _, line := range lines {
			g := runs[line]
			at := token.Position{Filename: g.path, Line: max(g.lineNo, 1), Column: 1}
			opts, _, err := recordedOptions(g.src)
			if err != nil {
				diags.add(at, "the flags this file records do not parse (%v): generate it again", err)
				continue
			}
			sub, err := Generate(Config{Dir: dir, Options: opts, FlagsPos: at})
			var d *Diagnostics
			switch {
			case errors.As(err, &d):
				diags.List = append(diags.List, d.List...)
				continue
			case err != nil:
				return nil, err
			}
			res.Files = append(res.Files, sub.Files...)
			if sub.Warnings != nil {
				res.Warnings = mergeWarnings(res.Warnings, sub.Warnings, l.dir)
			}
		}
	}
	if err := diags.err(); err != nil {
		return nil, err
	}
	if len(res.Files) == 0 {
		return nil, ErrNothing
	}
	return res, nil
}

func mergeWarnings(have, more *Diagnostics, dir string) *Diagnostics {
	if have == nil {
		have = &Diagnostics{Dir: dir}
	}
	have.List = append(have.List, more.List...)
	have.sort()
	return have
}
