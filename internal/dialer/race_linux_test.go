package dialer

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestExactlyOnce races results, 1 ms timeouts and concurrent cancels
// (two per attempt, on goroutines other than the dialing one): done runs
// at most once, exactly once unless a cancel reported true, and at most
// one cancel does.
func TestExactlyOnce(t *testing.T) {
	warm(t)
	ln := listen(t)
	acceptAndClose(ln)
	held := listen(t) // its connects never complete: timeout and cancel race alone
	hold(t, held.Addr().String())
	base := fds(t)

	const n = 3000
	type record struct {
		calls    atomic.Int32
		cancelOK atomic.Int32
	}
	recs := make([]record, n)
	todo := make(chan func() bool, 2*n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for cancel := range todo {
				cancel()
			}
		})
	}
	for i := range n {
		r := &recs[i]
		addr := ln.Addr().String()
		if i%2 == 1 {
			addr = held.Addr().String()
		}
		cancel := Dial("tcp", addr, time.Millisecond, func(c net.Conn, _ error) {
			r.calls.Add(1)
			if c != nil {
				c.Close()
			}
		})
		if i%3 != 0 {
			// Two cancels of one attempt, racing each other, its
			// result and its timeout on the cancelling goroutines.
			counted := func() bool {
				ok := cancel()
				if ok {
					r.cancelOK.Add(1)
				}
				return ok
			}
			todo <- counted
			todo <- counted
		}
	}
	close(todo)
	wg.Wait()

	check := func() (bad int, msg string) {
		for i := range recs {
			calls, ok := recs[i].calls.Load(), recs[i].cancelOK.Load()
			switch {
			case ok > 1:
				return i, "two cancels reported true"
			case ok == 1 && calls != 0:
				return i, "done ran after a cancel reported true"
			case ok == 0 && calls != 1:
				return i, "done did not run exactly once"
			}
		}
		return -1, ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		i, msg := check()
		if i < 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempt %d: %s (calls %d, cancels %d)", i, msg, recs[i].calls.Load(), recs[i].cancelOK.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a late second done would show now
	if i, msg := check(); i >= 0 {
		t.Fatalf("attempt %d: %s (calls %d, cancels %d)", i, msg, recs[i].calls.Load(), recs[i].cancelOK.Load())
	}
	cancelled := 0
	for i := range recs {
		cancelled += int(recs[i].cancelOK.Load())
	}
	t.Logf("%d dials, %d cancelled before their result", n, cancelled)
	assert.Zero(t, Pending())
	settled(t, base)
}
