package report

import "testing"

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{105.1e-9, "sec/op", "105 ns"},
		{1.191e-6, "sec/op", "1.19 µs"},
		{10.79e-3, "sec/op", "10.8 ms"},
		{2.5, "sec/op", "2.5 s"},
		{45.267e-6, "p99-sec", "45.3 µs"},
		{487.6, "bytes/recipient", "488 B"},
		{0, "allocs/op", "0"},
		{0.0123456, "lost/op", "0.0123"},
		{84253, "wrongworker/op", "84253"},
	}
	for _, tt := range tests {
		if got := formatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatValue(%g, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
