package gen

import (
	"errors"
	"go/token"
	"sort"
)

// Check returns, for every file that dispatchgen generated in the run's
// packages, what the run that made it would produce now: that run's flags
// are the ones the file records. A file that changes is stale. The
// interfaces that no such run generates, new ones say, get what Generate
// with cfg makes of them; cfg's own flags would redo the others into other
// files, or refuse them (a method without a final error needs
// -noerror=panic), where the flags that made them do not. In a package
// with //go:generate lines that run dispatchgen, a line whose files were
// not generated with its flags, and a generated file that no line makes,
// are problems, reported in the *Diagnostics it returns: each file can be
// up to date by its own record after a line's flags changed.
func Check(cfg Config) (*Result, error) {
	return check(cfg, true)
}

// Diff is Check without the //go:generate lines: what the runs that the
// files record, and cfg's, would change.
func Diff(cfg Config) (*Result, error) {
	return check(cfg, false)
}

func check(cfg Config, lines bool) (*Result, error) {
	cfg, l, err := loadRun(cfg)
	if err != nil {
		return nil, err
	}
	own := runLine(cfg)
	recorded, ownFiles, diags, err := recordedRuns(l, own)
	if err != nil {
		return nil, err
	}
	if lines {
		if err := checkGenerateLines(l, diags); err != nil {
			return nil, err
		}
	}
	elsewhere := map[slot]bool{}
	for _, s := range recorded.made {
		elsewhere[s] = true
	}
	// An interface that another run generates is this one's too when this
	// one's file for it exists, as two runs' files can.
	skip := func(t target) bool {
		if !elsewhere[t.slot(cfg.Dir)] {
			return false
		}
		path, _, ok := outputPath(l, cfg, t, &Diagnostics{})
		return !ok || !ownFiles[path]
	}
	res, err := generateLoaded(l, cfg, skip)
	var d *Diagnostics
	switch {
	case errors.Is(err, ErrNothing):
		res = &Result{} // the recorded runs may have made files here
	case errors.As(err, &d):
		diags.List = append(diags.List, d.List...)
	case err != nil:
		return nil, err
	}
	if err := diags.err(); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, recorded.Files...)
	if recorded.Warnings != nil {
		res.Warnings = mergeWarnings(res.Warnings, recorded.Warnings, l.dir)
	}
	if len(res.Files) == 0 {
		return nil, ErrNothing
	}
	return res, nil
}

// recordedRuns redoes, in each directory of l's packages, every run that
// a generated file there records, but for the run whose line is own, and
// returns what they produce together, with the problems they report, and
// the paths of the files that record own.
func recordedRuns(l *loaded, own string) (*Result, map[string]bool, *Diagnostics, error) {
	res := &Result{}
	ownFiles := map[string]bool{}
	diags := &Diagnostics{Dir: l.dir}
	for _, dir := range targetDirs(l) {
		gfs, err := generatedFiles(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		runs := map[string]generatedFile{}
		for _, g := range gfs {
			if g.line == own {
				ownFiles[g.path] = true
			}
			if _, seen := runs[g.line]; !seen && g.line != own && !otherRun(l.build, g) {
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
			at := token.Position{Filename: g.path, Line: g.lineNo, Column: 1}
			opts, _, err := recordedOptions(g.src)
			if err != nil {
				diags.add(at, "the flags this file records do not parse (%v): generate it again", err)
				continue
			}
			sub, _, err := generate(Config{Dir: dir, Options: opts, FlagsPos: at, build: &l.build})
			var d *Diagnostics
			switch {
			case errors.As(err, &d):
				diags.List = append(diags.List, d.List...)
				continue
			case err != nil:
				return nil, nil, nil, err
			}
			res.Files = append(res.Files, sub.Files...)
			res.made = append(res.made, sub.made...)
			if sub.Warnings != nil {
				res.Warnings = mergeWarnings(res.Warnings, sub.Warnings, l.dir)
			}
		}
	}
	return res, ownFiles, diags, nil
}

func mergeWarnings(have, more *Diagnostics, dir string) *Diagnostics {
	if have == nil {
		have = &Diagnostics{Dir: dir}
	}
	have.List = append(have.List, more.List...)
	have.sort()
	return have
}
