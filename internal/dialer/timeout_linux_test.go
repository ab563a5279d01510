package dialer

import (
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDialTimeout holds a connect in progress (as a dropped SYN would) and
// checks the timeout's error and that it closed the socket.
func TestDialTimeout(t *testing.T) {
	warm(t)
	ln := listen(t)
	addr := ln.Addr().String()
	base := fds(t)
	hold(t, addr)
	start := time.Now()
	o := dialWait(t, "tcp", addr, 200*time.Millisecond)
	took := time.Since(start)
	require.Error(t, o.err)
	assert.True(t, errors.Is(o.err, ErrTimeout), "%v", o.err)
	assert.Equal(t, "dial tcp "+addr+": connect timed out after 200ms", o.err.Error())
	var ne net.Error
	require.True(t, errors.As(o.err, &ne))
	assert.True(t, ne.Timeout())
	assert.GreaterOrEqual(t, took, 200*time.Millisecond, "not before the timeout")
	assert.Less(t, took, 5*time.Second)
	settled(t, base)
}

func TestDialTimeoutUnix(t *testing.T) {
	warm(t)
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer ln.Close()
	base := fds(t)
	hold(t, path)
	o := dialWait(t, "unix", path, 100*time.Millisecond)
	assert.True(t, errors.Is(o.err, ErrTimeout), "%v", o.err)
	assert.Equal(t, "dial unix "+path+": connect timed out after 100ms", o.err.Error())
	settled(t, base)
}

// TestLookupTimeout: the timeout covers the lookup too, and says so.
func TestLookupTimeout(t *testing.T) {
	f := newFakeDNS() // never answers
	useDNS(t, f)
	o := dialWait(t, "tcp", "slow.test:80", 200*time.Millisecond)
	require.Error(t, o.err)
	assert.True(t, errors.Is(o.err, ErrTimeout), "%v", o.err)
	var de *net.DNSError
	require.True(t, errors.As(o.err, &de), "a lookup error: %T", o.err)
	assert.True(t, de.IsTimeout)
	assert.Equal(t, "dial tcp: lookup slow.test: timed out after 200ms", o.err.Error())
	assert.Equal(t, 0, Pending())
}

// TestCancelInProgress cancels a connect in progress: cancel reports it,
// the socket is closed before cancel returns, done never runs.
func TestCancelInProgress(t *testing.T) {
	warm(t)
	ln := listen(t)
	addr := ln.Addr().String()
	base := fds(t)
	hold(t, addr)
	ch, cancel := dial("tcp", addr, 200*time.Millisecond)
	assert.Equal(t, base+1, fds(t), "the socket of the dial")
	assert.Equal(t, 1, Pending())
	assert.True(t, cancel())
	assert.Equal(t, base, fds(t), "closed by cancel")
	assert.Equal(t, 0, Pending())
	assert.False(t, cancel(), "only once")
	select {
	case o := <-ch:
		t.Fatalf("done ran after cancel: %v %v", o.conn, o.err)
	case <-time.After(time.Second): // five times the timeout
	}
}

// TestCancelDuringLookup cancels a dial whose name is being looked up: the
// answer, when it comes, connects nothing.
func TestCancelDuringLookup(t *testing.T) {
	warm(t)
	ln := listen(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	f := newFakeDNS()
	f.set("later.test", "127.0.0.1")
	useDNS(t, f)
	base := fds(t)
	ch, cancel := dial("tcp", "later.test:"+port, 5*time.Second)
	assert.True(t, cancel())
	f.open()
	select {
	case o := <-ch:
		t.Fatalf("done ran after cancel: %v %v", o.conn, o.err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(100*time.Millisecond)))
	c, err := ln.Accept()
	if err == nil {
		c.Close()
		t.Fatal("a cancelled dial connected")
	}
	assert.Equal(t, base, fds(t))
	assert.Equal(t, 0, Pending())
}

func TestCancelAfterDone(t *testing.T) {
	ln := listen(t)
	acceptAndClose(ln)
	var cancel func() bool
	inDone := make(chan bool, 1)
	ready := make(chan struct{})
	cancel = Dial("tcp", ln.Addr().String(), 5*time.Second, func(c net.Conn, err error) {
		<-ready
		if c != nil {
			c.Close()
		}
		inDone <- cancel()
	})
	close(ready)
	select {
	case got := <-inDone:
		assert.False(t, got, "cancel from inside done")
	case <-time.After(5 * time.Second):
		t.Fatal("done did not run")
	}
	assert.False(t, cancel(), "cancel after done")
}
