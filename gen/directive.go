package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"
	"unicode"
)

// directive marks an interface to generate a dispatcher for.
const directive = "//dispatch:recipient"

// annotationOptions are what an annotation, or the run's flags, say about
// one interface.
type annotationOptions struct {
	// key is the key= option's type expression, empty for the default,
	// and keyPos where it was written.
	key    string
	keyPos token.Pos
	// noErrorPanic lets the Ref of a method without a final error panic
	// when the call fails.
	noErrorPanic bool
	// async is the suffix of the asynchronous variants' names.
	async string
	// remote has the wire side generated, so that calls can cross
	// processes.
	remote bool
	// written is the annotation's options as the user wrote them, for the
	// remedies that print it back with one option changed.
	written string
}

// isDirective reports whether a comment's text is the directive.
func isDirective(text string) bool {
	rest, ok := strings.CutPrefix(text, directive)
	return ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t')
}

// findDirective returns the directive comment in doc, if any.
func findDirective(doc *ast.CommentGroup) *ast.Comment {
	if doc == nil {
		return nil
	}
	// CommentGroup.Text drops directive lines, so read the raw list.
	for _, c := range doc.List {
		if isDirective(c.Text) {
			return c
		}
	}
	return nil
}

// parseOptions reads the options of the directive c, starting from the
// run's, and reports each that is wrong.
func parseOptions(c *ast.Comment, run annotationOptions, fset *token.FileSet, diags *Diagnostics) (annotationOptions, bool) {
	opts, ok := run, true
	opts.written = strings.TrimSpace(c.Text[len(directive):])
	seen := map[string]bool{}
	for _, o := range splitOptions(c.Text[len(directive):], c.Slash+token.Pos(len(directive))) {
		name, value, hasValue := strings.Cut(o.text, "=")
		at := fset.Position(o.pos)
		if hasValue && seen[name] {
			diags.add(at, "%s= is given twice: keep one", name)
			ok = false
			continue
		}
		seen[name] = true
		switch {
		case name == "key" && hasValue && value == "":
			diags.add(at, "key= needs a type, as in key=UserID")
			ok = false
		case name == "key" && hasValue:
			opts.key, opts.keyPos = value, o.pos+token.Pos(len("key="))
		case name == "noerror" && hasValue && value != NoErrorPanic:
			diags.add(at, "noerror=%s: the only value is %s", value, NoErrorPanic)
			ok = false
		case name == "noerror" && hasValue:
			opts.noErrorPanic = true
		case name == "async" && hasValue && value == "":
			diags.add(at, "async= needs a suffix, as in async=Future")
			ok = false
		case name == "async" && hasValue:
			if err := checkAsyncSuffix(value); err != nil {
				diags.add(at, "async=%s: %v", value, err)
				ok = false
			}
			opts.async = value
		case name == "remote" && hasValue:
			diags.add(at, "remote takes no value: write remote alone")
			ok = false
		case name == "remote":
			opts.remote = true
		default:
			diags.add(at, "unknown option %q in %s: the options are key=Type, noerror=%s, async=Suffix and remote", o.text, directive, NoErrorPanic)
			ok = false
		}
	}
	return opts, ok
}

// withOption returns the annotation that opts was read from with the
// option name set to value, the others as they were written: a remedy to
// paste in its place.
func withOption(opts annotationOptions, name, value string) string {
	words := []string{directive}
	for _, o := range splitOptions(opts.written, token.NoPos) {
		if n, _, _ := strings.Cut(o.text, "="); n != name {
			words = append(words, o.text)
		}
	}
	return strings.Join(append(words, name+"="+value), " ")
}

// option is one word of a directive and where it starts.
type option struct {
	text string
	pos  token.Pos
}

// splitOptions splits text, which starts at pos, into words at the spaces
// that stand outside brackets, braces, parentheses and quotes, so that
// key=struct{A int; B string} is one word.
func splitOptions(text string, pos token.Pos) []option {
	var out []option
	depth, start := 0, -1
	var quote rune
	for i, r := range text + " " {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
			continue
		case r == '"' || r == '`':
			quote = r
		case strings.ContainsRune("([{", r):
			depth++
		case strings.ContainsRune(")]}", r):
			depth--
		case unicode.IsSpace(r) && depth <= 0:
			if start >= 0 {
				out = append(out, option{text: text[start:i], pos: pos + token.Pos(start)})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// misspelledDirective returns a warning for a comment that looks meant as
// the directive but is not read as one, or "".
func misspelledDirective(text string) string {
	if rest, ok := strings.CutPrefix(text, "//dispatch:"); ok {
		word, _, _ := strings.Cut(rest, " ")
		if word == "recipient" || isDirective(text) {
			return ""
		}
		return fmt.Sprintf("//dispatch:%s is not a directive of dispatchgen, which reads only %s%s", word, directive, didYouMean(word, []string{"recipient"}, "//dispatch:"))
	}
	body, ok := strings.CutPrefix(text, "//")
	if !ok {
		return ""
	}
	norm := strings.ToLower(strings.Join(strings.Fields(body), ""))
	rest, ok := strings.CutPrefix(norm, "dispatch:")
	if !ok {
		return ""
	}
	word := rest
	if len(word) > len("recipient")+2 {
		word = word[:len("recipient")]
	}
	if distance(word, "recipient") > 2 {
		return ""
	}
	return fmt.Sprintf("%q is not read as a directive: write %s, with no space after // or around the colon", text, directive)
}

// didYouMean suggests the candidate closest to word, written with prefix,
// or returns "".
func didYouMean(word string, candidates []string, prefix string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := distance(strings.ToLower(word), strings.ToLower(c))
		if d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist > max(1, len(word)/3) {
		return ""
	}
	return "; did you mean " + prefix + best + "?"
}

// distance is the optimal string alignment distance between a and b: the
// fewest insertions, deletions, substitutions of one rune and swaps of two
// neighbours that turn a into b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
