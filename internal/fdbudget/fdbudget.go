// Package fdbudget keeps the file descriptors the framework opens on
// behalf of its peers (accepted sockets, spooled request bodies, files
// being served) within the process's limit, RLIMIT_NOFILE, less a
// reserve for everything else (listeners, the pollers' descriptors, logs,
// the application's own files).
//
// It exists because gnet's acceptor dies on EMFILE: once accept(2) fails
// for want of descriptors, its listener is gone for good. So descriptors
// are counted before the limit is reached, and a connection over the
// budget is closed as soon as it is accepted, which always leaves the
// acceptor a descriptor to accept with.
package fdbudget

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// MinReserve is the fewest descriptors kept out of the budget; the reserve
// is a sixteenth of the limit when that is more.
const MinReserve = 64

var (
	once  sync.Once
	limit int64
	used  atomic.Int64
)

// Limit is the number of descriptors the budget hands out: RLIMIT_NOFILE's
// soft limit (which Go raises to the hard limit at start) less the reserve.
func Limit() int64 {
	once.Do(func() { limit = fromRlimit() })
	return limit
}

func fromRlimit() int64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 1 << 20
	}
	return budgetFor(int64(rl.Cur))
}

// budgetFor is the budget of a process whose descriptor limit is n.
func budgetFor(n int64) int64 {
	reserve := max(n/16, MinReserve)
	return max(n-reserve, 1)
}

// Acquire takes one descriptor from the budget, or reports false when
// none is left.
func Acquire() bool {
	lim := Limit()
	for {
		n := used.Load()
		if n >= lim {
			return false
		}
		if used.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release returns a descriptor taken with Acquire.
func Release() { used.Add(-1) }

// InUse is the number of descriptors taken and not released.
func InUse() int64 { return used.Load() }

// Take counts n descriptors the caller holds outside Acquire (a worker's
// listeners and pollers), even past the limit: connections then find that
// much less room. Give them back with Return.
func Take(n int) { used.Add(int64(n)) }

// Return gives back n descriptors counted with Take.
func Return(n int) { used.Add(-int64(n)) }
