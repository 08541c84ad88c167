package runtime_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: every
// recipient's goroutine must end once its mailbox is drained or closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
