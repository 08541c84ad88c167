package gen

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
)

// Diagnostic is one problem with the input, at a position in a source file.
type Diagnostic struct {
	// Pos is where the problem is; it has no file name for a problem with
	// the run's flags when nobody knows where they were written.
	Pos token.Position
	Msg string
	// Warning marks a problem that does not stop the run.
	Warning bool
}

// format writes the diagnostic as file:line:col: message, with the file
// name relative to dir when it lies below it, as editors and CI expect, or
// as file: message when it knows no line.
func (d Diagnostic) format(dir string) string {
	msg := d.Msg
	if d.Warning {
		msg = "warning: " + msg
	}
	if d.Pos.Filename == "" {
		return "dispatchgen: " + msg
	}
	file := d.Pos.Filename
	if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		file = rel
	}
	if d.Pos.Line == 0 {
		// A problem with the file as a whole.
		return fmt.Sprintf("%s: %s", file, msg)
	}
	line, col := d.Pos.Line, max(d.Pos.Column, 1)
	return fmt.Sprintf("%s:%d:%d: %s", file, line, col, msg)
}

// Diagnostics is every problem one run found. As an error it lists them a
// line each, sorted by position.
type Diagnostics struct {
	// Dir is the directory file names are shown relative to.
	Dir  string
	List []Diagnostic
}

func (ds *Diagnostics) add(pos token.Position, format string, args ...any) {
	ds.List = append(ds.List, Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (ds *Diagnostics) warn(pos token.Position, format string, args ...any) {
	ds.List = append(ds.List, Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// errors reports whether any diagnostic is more than a warning.
func (ds *Diagnostics) errors() bool {
	for _, d := range ds.List {
		if !d.Warning {
			return true
		}
	}
	return false
}

// sort orders the diagnostics by position, then message, and drops those
// said twice.
func (ds *Diagnostics) sort() {
	sort.SliceStable(ds.List, func(i, j int) bool {
		a, b := ds.List[i].Pos, ds.List[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return ds.List[i].Msg < ds.List[j].Msg
	})
	out := ds.List[:0]
	for i, d := range ds.List {
		if i == 0 || d != ds.List[i-1] {
			out = append(out, d)
		}
	}
	ds.List = out
}

// err returns ds as an error when it holds any problem that is more than a
// warning.
func (ds *Diagnostics) err() error {
	if !ds.errors() {
		return nil
	}
	ds.sort()
	return ds
}

// Error returns the diagnostics a line each.
func (ds *Diagnostics) Error() string {
	lines := make([]string, len(ds.List))
	for i, d := range ds.List {
		lines[i] = d.format(ds.Dir)
	}
	return strings.Join(lines, "\n")
}

func relPos(p token.Position, dir string) string {
	return strings.TrimSuffix(Diagnostic{Pos: p}.format(dir), ": ")
}
