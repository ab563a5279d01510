package timer_test

import (
	"fmt"
	"time"

	"github.com/gnetworker/gnetworker/timer"
)

// A repeating timer that deletes itself on its third run, as workerman's
// Timer::add with Timer::del inside the callback.
func ExampleAdd() {
	runs := 0
	done := make(chan struct{})
	_, _ = timer.Add(5*time.Millisecond, func(id timer.ID) {
		runs++ // timer callbacks run one at a time
		fmt.Println("run", runs)
		if runs == 3 {
			timer.Del(id)
			close(done)
		}
	})
	<-done
	// Output:
	// run 1
	// run 2
	// run 3
}

// A one-shot timer, as workerman's Timer::add with persistent = false.
func ExampleOnce() {
	done := make(chan struct{})
	_, _ = timer.Once(5*time.Millisecond, func(timer.ID) {
		fmt.Println("once")
		close(done)
	})
	<-done
	// Output: once
}
