package dialer

import (
	"bytes"
	"net"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gnetworker/gnetworker/internal/leaktest"
)

// outcome is what one done got, and on which goroutine.
type outcome struct {
	conn net.Conn
	err  error
	goid uint64
}

// dial runs Dial and returns a channel that gets done's outcome.
func dial(network, address string, timeout time.Duration) (<-chan outcome, func() bool) {
	ch := make(chan outcome, 2) // 2: a second done would not block, and the test sees it
	cancel := Dial(network, address, timeout, func(c net.Conn, err error) {
		ch <- outcome{conn: c, err: err, goid: goid()}
	})
	return ch, cancel
}

// wait returns the outcome or fails the test after within.
func wait(t *testing.T, ch <-chan outcome, within time.Duration) outcome {
	t.Helper()
	select {
	case o := <-ch:
		if o.conn != nil {
			t.Cleanup(func() { o.conn.Close() })
		}
		return o
	case <-time.After(within):
		t.Fatalf("done did not run within %v", within)
		return outcome{}
	}
}

// dialWait dials and waits for done, checking it ran off the caller.
func dialWait(t *testing.T, network, address string, timeout time.Duration) outcome {
	t.Helper()
	ch, _ := dial(network, address, timeout)
	o := wait(t, ch, timeout+5*time.Second)
	if o.goid == goid() {
		t.Errorf("done ran on the caller's goroutine")
	}
	return o
}

// listen listens on 127.0.0.1 and closes the listener at cleanup.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// acceptAndClose accepts on ln until it is closed, closing every conn.
func acceptAndClose(ln net.Listener) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// refusedAddr is a local port that nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hold makes the connector ignore the readiness of sockets connecting to
// addr, until the test ends.
func hold(t *testing.T, addr string) {
	t.Helper()
	f := func(a net.Addr) bool { return a.String() == addr }
	testHookHold.Store(&f)
	t.Cleanup(func() { testHookHold.Store(nil) })
}

// fds counts the process's open descriptors.
func fds(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// warm starts the connector (its epoll and eventfd descriptors, its
// goroutine) so that baselines taken afterwards do not count them.
func warm(t *testing.T) {
	t.Helper()
	ln := listen(t)
	acceptAndClose(ln)
	o := dialWait(t, "tcp", ln.Addr().String(), 5*time.Second)
	if o.err != nil {
		t.Fatal(o.err)
	}
	o.conn.Close()
}

// settled waits until no dial is pending and the descriptors are back to
// at most want.
func settled(t *testing.T, wantFDs int) {
	t.Helper()
	leaktest.WaitCount(t, "pending dials", Pending, 0, 5*time.Second)
	leaktest.WaitCount(t, "descriptors", func() int { return fds(t) }, wantFDs, 5*time.Second)
}

// goid returns the current goroutine's id.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	b = b[:bytes.IndexByte(b, ' ')]
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}
