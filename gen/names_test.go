package gen

import "testing"

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"ToolServer": "toolServer",
		"HTTPServer": "httpServer",
		"ID":         "id",
		"X":          "x",
		"already":    "already",
		"Ünïcode":    "ünïcode",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNamerFresh(t *testing.T) {
	n := newNamer(map[string]bool{"m": true, "m2": true})
	for _, want := range []string{"m3", "m4", "x", "x2"} {
		base := want[:1]
		if got := n.fresh(base); got != want {
			t.Errorf("fresh(%q) = %q, want %q", base, got, want)
		}
	}
}
