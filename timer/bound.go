package timer

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Executor runs functions somewhere else, such as on an event loop:
// worker.Worker.Loop and connection.TcpConnection.Execute are executors.
// Execute must not block; it queues fn.
type Executor interface {
	Execute(fn func()) error
}

// ErrNoExecutor is returned by AddOn and OnceOn for a nil Executor.
var ErrNoExecutor = errors.New("timer: nil executor")

// boundTimers marks the loop-bound timers of the default wheel, so that
// Del can stop a fire already queued on the loop.
var boundTimers sync.Map // ID -> *boundState

// AddOn schedules fn to run every interval on ex, an event loop, rather
// than on the timing wheel's goroutine: workerman's Timer::add, whose
// callbacks run on the worker's event loop. A program whose worker has
// Count = 1 and whose timers are bound to its loop runs every callback on
// one goroutine, and needs no locks, as in PHP.
//
// Use AddOn for timers that touch connections' or the loop's state; use
// Add for timers that do their own locking, or that may block (Add's
// callbacks run one at a time on the wheel's goroutine, so a blocking one
// delays the other Add timers, never the loops or the framework's
// timeouts). Del stops a bound timer like any other: once Del returns, fn
// does not start again, even a fire already queued on the loop.
func AddOn(ex Executor, interval time.Duration, fn func(id ID)) (ID, error) {
	return addOn(ex, interval, fn, true)
}

// OnceOn schedules fn to run once after interval on ex. See AddOn.
func OnceOn(ex Executor, interval time.Duration, fn func(id ID)) (ID, error) {
	return addOn(ex, interval, fn, false)
}

func addOn(ex Executor, interval time.Duration, fn func(ID), persistent bool) (ID, error) {
	if ex == nil {
		return 0, ErrNoExecutor
	}
	st := new(boundState)
	fire := func(id ID) {
		err := ex.Execute(func() {
			if st.deleted.Load() {
				return
			}
			if !persistent {
				st.fired.Store(true)
				boundTimers.Delete(id)
			}
			fn(id)
		})
		if err != nil && !persistent {
			st.fired.Store(true)
			boundTimers.Delete(id) // the loop is gone: this fire never runs
		}
	}
	id, err := std.add(interval, fire, persistent)
	if err != nil {
		return 0, err
	}
	boundTimers.Store(id, st)
	if !persistent && st.fired.Load() {
		boundTimers.Delete(id) // it fired before it was recorded
	}
	return id, nil
}

// boundState is what Del needs of a loop-bound timer.
type boundState struct {
	deleted atomic.Bool // Del was called: a queued fire does nothing
	fired   atomic.Bool // a one-shot timer ran
}

// unbind marks a loop-bound timer deleted; Del calls it.
func unbind(id ID) {
	if v, ok := boundTimers.LoadAndDelete(id); ok {
		v.(*boundState).deleted.Store(true)
	}
}

// unbindAll marks every loop-bound timer deleted; DelAll calls it.
func unbindAll() {
	boundTimers.Range(func(k, v any) bool {
		v.(*boundState).deleted.Store(true)
		boundTimers.Delete(k)
		return true
	})
}
