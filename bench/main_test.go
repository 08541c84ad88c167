package bench_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a benchmark leaves a goroutine behind: each must
// stop what it started, or the ones after it would measure with it running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
