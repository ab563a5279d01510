package websocket_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// startEcho starts an http:// worker whose /ws upgrades with opts (the
// echo OnMessage when opts has none) and whose other paths answer "page".
func startEcho(t *testing.T, opts *websocket.Options) string {
	t.Helper()
	if opts.OnMessage == nil {
		opts.OnMessage = func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) }
	}
	w, err := worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/ws" {
			_ = websocket.Upgrade(c, req, opts)
			return
		}
		_ = c.Send("page")
	}
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w.Addr().String()
}

// client is a minimal WebSocket client for the tests: it masks what it
// sends and can cut it into small writes.
type client struct {
	t     *testing.T
	conn  net.Conn
	r     *bufio.Reader
	split bool // write in pieces of 1-5 bytes
	rng   *rand.Rand
}

// handshakeFor is a valid handshake request for path, with extra header
// lines.
func handshakeFor(path, extra string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
}

// dialWS connects and completes the handshake for /ws (extra header lines
// may be given), returning the client and the handshake's response.
func dialWS(t *testing.T, addr string, split bool, extra string) (*client, *nethttp.Response) {
	t.Helper()
	return dialRequest(t, addr, split, handshakeFor("/ws", extra))
}

// dialWSPath is dialWS for another path.
func dialWSPath(t *testing.T, addr, path, extra string) (*client, *nethttp.Response) {
	t.Helper()
	return dialRequest(t, addr, false, handshakeFor(path, extra))
}

// dialRequest connects, sends request and reads the response's head.
func dialRequest(t *testing.T, addr string, split bool, request string) (*client, *nethttp.Response) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn), split: split, rng: rand.New(rand.NewPCG(5, 6))}
	c.write([]byte(request))
	resp, err := nethttp.ReadResponse(c.r, &nethttp.Request{Method: "GET"})
	require.NoError(t, err)
	return c, resp
}

func (c *client) write(b []byte) {
	c.t.Helper()
	for len(b) > 0 {
		n := len(b)
		if c.split {
			n = min(1+c.rng.IntN(5), len(b))
		}
		if _, err := c.conn.Write(b[:n]); err != nil {
			return // the server may have closed: the reads say how
		}
		b = b[n:]
	}
}

// frame builds a masked client frame; rsv sets reserved bits.
func frame(fin bool, op byte, payload []byte, rsv byte) []byte {
	b0 := op | rsv<<4
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xFFFF:
		out = append(out, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	out = append(out, key[:]...)
	for i, p := range payload {
		out = append(out, p^key[i&3])
	}
	return out
}

// readFrame reads one server frame.
func (c *client) readFrame() (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(c.r, h[:]); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0F
	if h[1]&0x80 != 0 {
		c.t.Fatal("server frames must not be masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		if _, err = io.ReadFull(c.r, l[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err = io.ReadFull(c.r, l[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.r, payload)
	return
}

// expectClose reads frames until a close frame, returns its code, and
// checks that the server then closes the TCP connection.
func (c *client) expectClose() int {
	c.t.Helper()
	for {
		_, op, p, err := c.readFrame()
		require.NoError(c.t, err, "a close frame")
		if op != 0x8 {
			continue
		}
		code := 1005
		if len(p) >= 2 {
			code = int(binary.BigEndian.Uint16(p))
		}
		_, err = c.r.ReadByte()
		// EOF, or a reset when the server closed with client bytes unread.
		require.True(c.t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET),
			"the TCP connection closes after the close frame: %v", err)
		return code
	}
}

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

func invalidUTF8() []byte {
	return []byte("ok \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")
}

func repeat(s string, n int) []byte { return []byte(strings.Repeat(s, n)) }
