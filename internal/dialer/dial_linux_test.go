package dialer

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoLine answers the first line of one conn of ln with "pong <line>".
func echoLine(t *testing.T, ln net.Listener) {
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return
		}
		c.Write([]byte("pong " + line))
	}()
}

// talk writes "ping\n" on c and reads the answer.
func talk(t *testing.T, c net.Conn) string {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err := c.Write([]byte("ping\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	return line
}

func TestDialConnects(t *testing.T) {
	ln := listen(t)
	echoLine(t, ln)
	o := dialWait(t, "tcp", ln.Addr().String(), 5*time.Second)
	require.NoError(t, o.err)
	tc, ok := o.conn.(*net.TCPConn)
	require.True(t, ok, "a *net.TCPConn, not %T", o.conn)
	assert.Equal(t, ln.Addr().String(), tc.RemoteAddr().String())
	assert.Equal(t, "pong ping\n", talk(t, tc), "the conn works both ways")
}

func TestDialIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer ln.Close()
	echoLine(t, ln)
	o := dialWait(t, "tcp6", ln.Addr().String(), 5*time.Second)
	require.NoError(t, o.err)
	assert.Equal(t, ln.Addr().String(), o.conn.RemoteAddr().String())
	assert.Equal(t, "pong ping\n", talk(t, o.conn))
}

func TestDialRefused(t *testing.T) {
	addr := refusedAddr(t)
	o := dialWait(t, "tcp", addr, 5*time.Second)
	require.Error(t, o.err)
	assert.Nil(t, o.conn)
	assert.True(t, errors.Is(o.err, syscall.ECONNREFUSED), "%v", o.err)
	var op *net.OpError
	require.True(t, errors.As(o.err, &op))
	assert.Equal(t, "dial", op.Op)
	assert.Equal(t, "tcp", op.Net)
	assert.Equal(t, "dial tcp "+addr+": connect: connection refused", o.err.Error(), "reads like net.Dial's")
}

// TestDialUnroutable dials an address nothing answers on most networks.
// Some fail it at once (no route); this sandbox's network accepts every
// address, and then there is nothing to check here: TestDialTimeout
// reaches the timeout deterministically.
func TestDialUnroutable(t *testing.T) {
	start := time.Now()
	o := dialWait(t, "tcp", "10.255.255.1:80", 200*time.Millisecond)
	took := time.Since(start)
	switch {
	case o.err == nil:
		t.Skip("this network connected to 10.255.255.1:80")
	case errors.Is(o.err, ErrTimeout):
		assert.Less(t, took, 5*time.Second)
		assert.Equal(t, "dial tcp 10.255.255.1:80: connect timed out after 200ms", o.err.Error())
	default:
		assert.True(t, errors.Is(o.err, syscall.ENETUNREACH) || errors.Is(o.err, syscall.EHOSTUNREACH), "%v", o.err)
	}
}

func TestDialLocalhost(t *testing.T) {
	ln := listen(t)
	echoLine(t, ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	o := dialWait(t, "tcp", "localhost:"+port, 5*time.Second)
	require.NoError(t, o.err, "localhost is in /etc/hosts")
	assert.Equal(t, ln.Addr().String(), o.conn.RemoteAddr().String())
	assert.Equal(t, "pong ping\n", talk(t, o.conn))
}

func TestDialNameNotFound(t *testing.T) {
	o := dialWait(t, "tcp", "nosuch.invalid:80", 5*time.Second)
	require.Error(t, o.err)
	var de *net.DNSError
	require.True(t, errors.As(o.err, &de), "%T %v", o.err, o.err)
	assert.Equal(t, "nosuch.invalid", de.Name)
	assert.True(t, strings.HasPrefix(o.err.Error(), "dial tcp: lookup nosuch.invalid"), o.err.Error())
}

func TestDialUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer ln.Close()
	echoLine(t, ln)
	o := dialWait(t, "unix", path, 5*time.Second)
	require.NoError(t, o.err)
	_, ok := o.conn.(*net.UnixConn)
	require.True(t, ok, "a *net.UnixConn, not %T", o.conn)
	assert.Equal(t, path, o.conn.RemoteAddr().String())
	assert.Equal(t, "pong ping\n", talk(t, o.conn))
}

func TestDialUnixErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.sock")
	o := dialWait(t, "unix", missing, 5*time.Second)
	assert.True(t, errors.Is(o.err, syscall.ENOENT), "%v", o.err)
	assert.Equal(t, "dial unix "+missing+": connect: no such file or directory", o.err.Error())

	// A socket file whose listener is gone refuses.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	_, err = os.Stat(stale)
	require.NoError(t, err)
	o = dialWait(t, "unix", stale, 5*time.Second)
	assert.True(t, errors.Is(o.err, syscall.ECONNREFUSED), "%v", o.err)
}

func TestDialBadAddresses(t *testing.T) {
	for _, tc := range []struct{ network, address, want string }{
		{"udp", "127.0.0.1:1", "dial udp: unknown network udp"},
		{"tcp", "127.0.0.1", "dial tcp: address 127.0.0.1: missing port in address"},
		{"tcp", "127.0.0.1:http", "dial tcp: address 127.0.0.1:http: invalid port"},
		{"tcp", "127.0.0.1:70000", "dial tcp: address 127.0.0.1:70000: invalid port"},
		{"tcp6", "127.0.0.1:80", "dial tcp6: address 127.0.0.1: no suitable address found"},
		{"tcp4", "[::1]:80", "dial tcp4: address ::1: no suitable address found"},
		{"unix", "", "dial unix: missing address"},
	} {
		o := dialWait(t, tc.network, tc.address, time.Second)
		assert.Nil(t, o.conn)
		if assert.Error(t, o.err, tc.address) {
			assert.Equal(t, tc.want, o.err.Error())
		}
	}
	assert.Equal(t, 0, Pending())
}

func TestDialPanicsOnNilDone(t *testing.T) {
	assert.Panics(t, func() { Dial("tcp", "127.0.0.1:1", time.Second, nil) })
}

func TestDoneMayPanic(t *testing.T) {
	ln := listen(t)
	acceptAndClose(ln)
	Dial("tcp", ln.Addr().String(), time.Second, func(c net.Conn, _ error) {
		if c != nil {
			c.Close()
		}
		panic("boom")
	})
	// The connector survived: the next dial completes.
	o := dialWait(t, "tcp", ln.Addr().String(), 5*time.Second)
	assert.NoError(t, o.err)
}
