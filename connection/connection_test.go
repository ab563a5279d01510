package connection

import (
	"net"
	"strconv"
	"testing"
	"unsafe"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An idle SSE stream is little more than a TcpConnection, so its size is
// part of the per-connection memory budget: 224 bytes is a Go size class,
// and one field more would move it to the next (240).
func TestConnectionFitsItsSizeClass(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(TcpConnection{}), uintptr(224))
}

// fdConn is a gnet.Conn that only knows its file descriptor.
type fdConn struct {
	gnet.Conn
	fd int
}

func (f fdConn) Fd() int { return f.fd }

func TestReadLocalAddr(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"tcp4", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			ln, err := net.Listen(tc.network, tc.addr)
			if err != nil {
				t.Skipf("no %s loopback here: %v", tc.network, err)
			}
			defer ln.Close()
			client, err := net.Dial(tc.network, ln.Addr().String())
			require.NoError(t, err)
			defer client.Close()
			server, err := ln.Accept()
			require.NoError(t, err)
			defer server.Close()
			f, err := server.(*net.TCPConn).File()
			require.NoError(t, err)
			defer f.Close()

			c := &TcpConnection{gc: fdConn{fd: int(f.Fd())}}
			c.readLocalAddr()
			want := server.LocalAddr().(*net.TCPAddr)
			assert.Equal(t, want.IP.String(), c.LocalIP())
			assert.Equal(t, want.Port, c.LocalPort())
			assert.Equal(t, net.JoinHostPort(want.IP.String(), strconv.Itoa(want.Port)), c.LocalAddress())
			assert.Zero(t, testing.AllocsPerRun(100, c.readLocalAddr), "reading the local address allocates")
		})
	}
}

func TestReadLocalAddrOfClosedFD(t *testing.T) {
	c := &TcpConnection{gc: fdConn{fd: -1}}
	c.readLocalAddr()
	assert.Equal(t, "", c.LocalAddress())
	assert.Equal(t, "", c.LocalIP())
	assert.Zero(t, c.LocalPort())
}

func TestBufferPool(t *testing.T) {
	for _, tc := range []struct {
		name   string
		want   int // bytes asked for
		minCap int
		grow   int // bytes appended before putting it back
		pooled bool
	}{
		{name: "small", want: 10, minCap: smallBufferSize, grow: 100, pooled: true},
		{name: "large", want: smallBufferSize + 1, minCap: largeBufferSize, grow: largeBufferSize, pooled: true},
		{name: "grown past the limit is dropped", want: 1, minCap: smallBufferSize, grow: maxPooledSize + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := getBuffer(tc.want)
			require.NotNil(t, b)
			assert.Empty(t, *b)
			assert.GreaterOrEqual(t, cap(*b), tc.minCap)
			*b = append(*b, make([]byte, tc.grow)...)
			putBuffer(b)
			if tc.pooled {
				assert.Empty(t, *b, "a pooled buffer is emptied")
			}
		})
	}
	putBuffer(nil) // no panic

	// Taking and returning buffers allocates nothing once the pool holds
	// one. (The race detector makes sync.Pool drop items at random.)
	if raceEnabled {
		return
	}
	allocs := testing.AllocsPerRun(1000, func() {
		b := getBuffer(64)
		*b = append(*b, "event"...)
		putBuffer(b)
	})
	assert.Zero(t, allocs)
}
