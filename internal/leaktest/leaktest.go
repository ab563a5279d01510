// Package leaktest helps tests show that nothing outlives what they closed:
// it polls counts from the test's own goroutine (testify's Eventually runs
// its condition on a goroutine of its own, which would count itself).
package leaktest

import (
	"runtime"
	"testing"
	"time"
)

// Goroutines returns the current number of goroutines.
func Goroutines() int { return runtime.NumGoroutine() }

// WaitGoroutines waits up to timeout for the goroutine count to fall to at
// most want, and fails the test with a dump of every goroutine if it does
// not.
func WaitGoroutines(t testing.TB, want int, timeout time.Duration) {
	t.Helper()
	WaitCount(t, "goroutines", runtime.NumGoroutine, want, timeout)
	if runtime.NumGoroutine() > want {
		buf := make([]byte, 1<<20)
		t.Logf("goroutines left:\n%s", buf[:runtime.Stack(buf, true)])
	}
}

// WaitCount waits up to timeout for count() to fall to at most want, and
// fails the test naming what was counted if it does not.
func WaitCount(t testing.TB, what string, count func() int, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := count()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: %d after %v, want at most %d", what, n, timeout, want)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
