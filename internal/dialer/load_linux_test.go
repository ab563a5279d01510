package dialer

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

// TestManyDials starts thousands of connects at once to one listener and
// checks that they cost a constant number of goroutines, all complete,
// and leave no descriptor or slot behind.
//
// 10,000 dials hold 10,000 client descriptors while the listener's side
// may briefly hold as many, so they need a descriptor limit of about
// 24,000. Where the hard limit is lower (20,000 in the sandbox this was
// written in) the test makes 5,000.
func TestManyDials(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of sockets")
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	n := 10000
	switch {
	case rl.Max < 12000:
		t.Skipf("RLIMIT_NOFILE hard limit %d: too low for 5,000 dials", rl.Max)
	case rl.Max < 24000:
		n = 5000
		t.Logf("RLIMIT_NOFILE hard limit %d < 24,000: %d dials instead of 10,000", rl.Max, n)
	}
	if rl.Cur < rl.Max {
		saved := rl
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &saved) })
	}

	warm(t)
	ln := listen(t)
	acceptAndClose(ln)
	addr := ln.Addr().String()
	baseFDs := fds(t)
	baseG := runtime.NumGoroutine()
	maxG := baseG
	sample := func() { maxG = max(maxG, runtime.NumGoroutine()) }

	conns := make([]net.Conn, n)
	errs := make([]error, n)
	var got atomic.Int32
	all := make(chan struct{})
	for i := range n {
		Dial("tcp", addr, time.Minute, func(c net.Conn, err error) {
			conns[i], errs[i] = c, err
			if got.Add(1) == int32(n) {
				close(all)
			}
		})
		if i%100 == 0 {
			sample()
		}
	}
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case <-all:
			break wait
		case <-deadline:
			t.Fatalf("%d of %d dials done after 2 minutes; %d pending", got.Load(), n, Pending())
		case <-time.After(5 * time.Millisecond):
			sample()
		}
	}
	t.Logf("%d dials; goroutines: %d before, at most %d during", n, baseG, maxG)
	assert.Less(t, maxG, baseG+50, "goroutines during the burst")

	failed := 0
	for i := range n {
		if errs[i] != nil {
			if failed == 0 {
				t.Errorf("dial %d: %v", i, errs[i])
			}
			failed++
			continue
		}
		conns[i].Close()
	}
	assert.Zero(t, failed, "failed dials")
	assert.Zero(t, Pending())
	settled(t, baseFDs)
}

// TestManyNameDials: dials of a name also cost no goroutine each; they
// share the resolver's four and its cache.
func TestManyNameDials(t *testing.T) {
	warm(t)
	ln := listen(t)
	acceptAndClose(ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	f := newFakeDNS()
	f.set("many.test", "127.0.0.1")
	useDNS(t, f)
	baseFDs := fds(t)
	baseG := runtime.NumGoroutine()
	maxG := baseG

	const n = 500
	results := make(chan error, n)
	for range n {
		Dial("tcp", "many.test:"+port, time.Minute, func(c net.Conn, err error) {
			if c != nil {
				c.Close()
			}
			results <- err
		})
	}
	maxG = max(maxG, runtime.NumGoroutine())
	f.open()
	for range n {
		select {
		case err := <-results:
			assert.NoError(t, err)
		case <-time.After(time.Minute):
			t.Fatal("dials did not finish")
		}
		maxG = max(maxG, runtime.NumGoroutine())
	}
	assert.Less(t, maxG, baseG+50, "goroutines during the burst (four resolver goroutines among them)")
	assert.Equal(t, int32(1), f.calls.Load(), "one lookup for all")
	settled(t, baseFDs)
}
