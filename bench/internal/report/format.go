package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// formatValue writes v, in unit as benchfmt tidies it, the way a reader
// expects it: times in ns, µs or ms, bytes in B.
func formatValue(v float64, unit string) string {
	switch {
	case unit == "sec/op" || strings.HasSuffix(unit, "-sec"):
		return formatSeconds(v)
	case strings.HasPrefix(unit, "bytes/") || unit == "B/op":
		return fmt.Sprintf("%.0f B", v)
	}
	return sig3(v)
}

// formatCount is formatValue followed by the unit when the figure does not
// say it: "0 allocs/op", but "105 ns".
func formatCount(v float64, unit string) string {
	s := formatValue(v, unit)
	if s == sig3(v) {
		s += " " + unit
	}
	return s
}

func formatSeconds(s float64) string {
	switch {
	case s >= 1:
		return sig3(s) + " s"
	case s >= 1e-3:
		return sig3(s*1e3) + " ms"
	case s >= 1e-6:
		return sig3(s*1e6) + " µs"
	}
	return sig3(s*1e9) + " ns"
}

// formatRatio writes a ratio as "0.23×".
func formatRatio(r float64) string {
	return sig3(r) + "×"
}

// sig3 writes v with about three significant digits, no trailing zeros
// and no exponent: benchmark figures vary more than that between runs.
func sig3(v float64) string {
	decimals := 0
	switch a := max(v, -v); {
	case a == 0 || a >= 100:
	case a >= 10:
		decimals = 1
	case a >= 1:
		decimals = 2
	default:
		// Three significant digits below 1: 0.0123 needs four decimals.
		decimals = 2 - int(math.Floor(math.Log10(a)))
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// goal writes t's bound as the report states it: "≤ 0.70×", "≥ 10×
// faster", "≤ 1.0× 1 KiB", "0".
func (t Target) goal() string {
	switch {
	case t.Absolute && t.Max == 0:
		return "0"
	case t.Absolute:
		return "≤ " + sig3(t.Max)
	case t.Faster:
		return "≥ " + formatRatio(1/t.Max) + " faster"
	}
	return "≤ " + formatRatio(t.Max)
}

// versus names what t divides by.
func (t Target) versus() string {
	if t.Versus != "" {
		return t.Versus
	}
	if t.FixedFmt != "" {
		return t.FixedFmt
	}
	return sig3(t.Fixed)
}

// ratio writes o's ratio as the report states it, the right way up.
func (o Outcome) ratio() string {
	switch {
	case o.Err != nil:
		return "n/a"
	case o.Absolute:
		return "–"
	case o.Faster:
		return formatRatio(1/o.Ratio) + " faster"
	}
	return formatRatio(o.Ratio)
}
