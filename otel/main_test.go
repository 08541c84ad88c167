package dispatchotel_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a span or a
// gauge must hold none once its dispatcher is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
