// Package systimer is the framework's own timing wheel: connection
// deadlines (HTTP header, body and idle timeouts), the polling that waits
// for a slow peer to drain, and SSE heartbeats.
//
// Applications' timers run on package timer's wheel, one callback at a
// time. Were the framework's timers there too, a user callback that blocks
// (on a database, say) would delay every timeout of every connection, and
// slowloris protection would stop with it. Callbacks on this wheel never
// block: they store a time, wake a loop or ask for a close.
package systimer

import (
	"time"

	"github.com/gnetworker/gnetworker/timer"
)

var wheel = timer.NewWheel()

// Once runs fn once after d, on the framework's wheel.
func Once(d time.Duration, fn func(timer.ID)) (timer.ID, error) { return wheel.Once(d, fn) }

// Add runs fn every d, on the framework's wheel, until Del.
func Add(d time.Duration, fn func(timer.ID)) (timer.ID, error) { return wheel.Add(d, fn) }

// Del cancels a timer of this wheel.
func Del(id timer.ID) bool { return wheel.Del(id) }

// Len is the number of timers pending on this wheel.
func Len() int { return wheel.Len() }
