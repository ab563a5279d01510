package websocket_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	nethttp "net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// These tests drive a Client's codec the way a connection does, over a
// real socket: the greeting first, then every read through Input and
// Decode, each Reply written back, and sends through Encode. The server
// is the project's own (startEcho) or a fake one on net.Listen that
// answers what a test needs.

// testConn is a protocols.Conn whose CloseAsync may be called from a
// timer's goroutine.
type testConn struct {
	maxPackage int
	closed     atomic.Bool
}

func (c *testConn) ID() uint64 { return 1 }

func (c *testConn) MaxPackageSize() int {
	if c.maxPackage == 0 {
		return connection.DefaultMaxPackageSize
	}
	return c.maxPackage
}

func (c *testConn) CloseAsync() { c.closed.Store(true) }

// peer is one client codec on one socket.
type peer struct {
	t     *testing.T
	sock  net.Conn
	codec protocols.Codec
	conn  *testConn
	in    []byte // read, not yet consumed
	queue []any  // decoded, not yet taken
	err   error  // the codec's error, sticky
}

func newClient(t *testing.T, rawURL string, opts *websocket.ClientOptions) *websocket.Client {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	cl, err := websocket.NewClient(u, opts)
	require.NoError(t, err)
	return cl
}

// dialPeer connects to addr and writes the greeting of a codec for path
// made with opts. Sends made before (pre) are encoded first, while the
// connection "connects".
func dialPeer(t *testing.T, addr, path string, opts *websocket.ClientOptions, pre ...any) *peer {
	t.Helper()
	p := newPeer(t, newClient(t, "ws://"+addr+path, opts), &testConn{})
	for _, m := range pre {
		p.send(m)
	}
	sock, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sock.Close() })
	require.NoError(t, sock.SetDeadline(time.Now().Add(10*time.Second)))
	p.sock = sock
	p.write(p.codec.(protocols.Greeter).Greeting())
	return p
}

func newPeer(t *testing.T, cl *websocket.Client, conn *testConn) *peer {
	p := &peer{t: t, codec: cl.NewCodec(conn), conn: conn}
	t.Cleanup(func() {
		if r, ok := p.codec.(protocols.Releaser); ok {
			r.Release()
		}
	})
	return p
}

func (p *peer) write(b []byte) {
	p.t.Helper()
	if len(b) == 0 || p.sock == nil {
		return
	}
	_, err := p.sock.Write(b)
	require.NoError(p.t, err)
}

// send encodes msg; what the codec returns (nothing while it holds it
// for after the 101) is written.
func (p *peer) send(msg any) {
	p.t.Helper()
	out, err := p.codec.Encode(nil, msg)
	require.NoError(p.t, err)
	p.write(out)
}

// feed runs the codec over b as a connection's read does.
func (p *peer) feed(b []byte) {
	p.in = append(p.in, b...)
	for len(p.in) > 0 && p.err == nil {
		n, err := p.codec.Input(p.in)
		if err != nil {
			p.fail(err)
			return
		}
		if n == 0 {
			return
		}
		msg, err := p.codec.Decode(p.in[:n])
		if err != nil {
			p.fail(err)
			return
		}
		p.write(p.codec.(protocols.Responder).Reply())
		if msg != nil {
			p.queue = append(p.queue, msg)
		}
		p.in = append(p.in[:0], p.in[n:]...)
	}
}

// fail records the codec's error and writes its reply, as the connection
// does.
func (p *peer) fail(err error) {
	p.err = err
	var r protocols.Replier
	if errors.As(err, &r) {
		p.write(r.Reply())
	}
}

// next returns the next message, reading as needed; nil once the codec
// failed (p.err) or the socket ended.
func (p *peer) next() any {
	p.t.Helper()
	buf := make([]byte, 64<<10)
	for len(p.queue) == 0 && p.err == nil {
		n, err := p.sock.Read(buf)
		p.feed(buf[:n])
		if err != nil {
			break
		}
	}
	if len(p.queue) == 0 {
		return nil
	}
	m := p.queue[0]
	p.queue = p.queue[1:]
	return m
}

// open reads the 101 and returns it.
func (p *peer) open() *websocket.HandshakeResponse {
	p.t.Helper()
	m := p.next()
	resp, ok := m.(*websocket.HandshakeResponse)
	require.True(p.t, ok, "the first message is the handshake's response, not %T (%v)", m, p.err)
	return resp
}

// ended reports whether the server closed the socket.
func (p *peer) ended() bool {
	_, err := p.sock.Read(make([]byte, 1))
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(fmtErr(err), "reset")
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestClientRoundTrip(t *testing.T) {
	addr := startEcho(t, &websocket.Options{})
	p := dialPeer(t, addr, "/ws", nil)
	resp := p.open()
	assert.Equal(t, 101, resp.Status)
	assert.Equal(t, "HTTP/1.1 101 Switching Protocols", resp.StatusLine)
	assert.Equal(t, "websocket", resp.Header("upgrade"))

	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		send any
		want websocket.Message
	}{
		{"hello", websocket.Message{Opcode: websocket.OpText, Data: []byte("hello")}},
		{"κόσμε", websocket.Message{Opcode: websocket.OpText, Data: []byte("κόσμε")}},
		{"", websocket.Message{Opcode: websocket.OpText, Data: nil}},
		{[]byte{0, 1, 0xfe, 0xff}, websocket.Message{Opcode: websocket.OpBinary, Data: []byte{0, 1, 0xfe, 0xff}}},
		{websocket.Message{Opcode: websocket.OpText, Data: []byte("as a Message")}, websocket.Message{Opcode: websocket.OpText, Data: []byte("as a Message")}},
		{strings.Repeat("x", 70000), websocket.Message{Opcode: websocket.OpText, Data: []byte(strings.Repeat("x", 70000))}},
		{big, websocket.Message{Opcode: websocket.OpBinary, Data: big}},
	} {
		p.send(tc.send)
		got, ok := p.next().(websocket.Message)
		require.True(t, ok, "an echo of %.20v", tc.send)
		assert.Equal(t, tc.want.Opcode, got.Opcode)
		assert.True(t, bytes.Equal(tc.want.Data, got.Data), "%d bytes echoed as %d", len(tc.want.Data), len(got.Data))
	}
}

func TestClientPingPong(t *testing.T) {
	pongs := make(chan string, 1)
	addr := startEcho(t, &websocket.Options{
		OnMessage: func(c *connection.TcpConnection, m websocket.Message) {
			if m.Text() == "ping me" {
				_ = c.Send(websocket.Ping("from the server"))
			}
		},
		OnWebSocketPong: func(c *connection.TcpConnection, data []byte) { pongs <- string(data) },
	})
	p := dialPeer(t, addr, "/ws", nil)
	p.open()

	p.send(websocket.Ping("hi"))
	assert.Equal(t, websocket.Pong("hi"), p.next(), "the server answers the client's ping")

	p.send("ping me")
	assert.Equal(t, websocket.Ping("from the server"), p.next())
	select {
	case got := <-pongs:
		assert.Equal(t, "from the server", got, "the codec answered with a masked pong")
	case <-time.After(5 * time.Second):
		t.Fatal("the server got no pong")
	}
}

func TestClientCloseHandshake(t *testing.T) {
	t.Run("the client closes", func(t *testing.T) {
		closes := make(chan websocket.Close, 1)
		addr := startEcho(t, &websocket.Options{
			OnWebSocketClose: func(c *connection.TcpConnection, code int, reason string) {
				closes <- websocket.Close{Code: code, Reason: reason}
			},
		})
		p := dialPeer(t, addr, "/ws", nil)
		p.open()
		p.send(websocket.Close{Code: websocket.CloseNormal, Reason: "bye"})
		_, err := p.codec.Encode(nil, "after the close")
		assert.ErrorIs(t, err, websocket.ErrClosed)
		assert.False(t, p.conn.closed.Load(), "the client waits for the server's close")

		assert.Equal(t, websocket.Close{Code: websocket.CloseNormal}, p.next(), "the server echoes 1000")
		assert.True(t, p.conn.closed.Load(), "the client closes once the server answered")
		assert.Equal(t, websocket.Close{Code: websocket.CloseNormal, Reason: "bye"}, <-closes)
		assert.True(t, p.ended(), "the server closes the TCP connection")
	})

	t.Run("the server closes", func(t *testing.T) {
		addr := startEcho(t, &websocket.Options{
			OnMessage: func(c *connection.TcpConnection, m websocket.Message) {
				_ = c.Close(websocket.Close{Code: 4001, Reason: m.Text()})
			},
		})
		p := dialPeer(t, addr, "/ws", nil)
		p.open()
		p.send("done")
		assert.Equal(t, websocket.Close{Code: 4001, Reason: "done"}, p.next())
		assert.True(t, p.conn.closed.Load(), "the echo is written, then the client closes")
		_, err := p.codec.Encode(nil, "late")
		assert.ErrorIs(t, err, websocket.ErrClosed)
	})
}

// Messages sent while the handshake is under way are held, none goes
// out before the 101, and they follow it in order, ahead of later ones.
func TestClientSendsBeforeTheHandshake(t *testing.T) {
	addr := startEcho(t, &websocket.Options{})
	p := dialPeer(t, addr, "/ws", nil, "one", []byte("two"), websocket.Ping("three"))
	out, err := p.codec.Encode(nil, "four")
	require.NoError(t, err)
	assert.Empty(t, out, "nothing is written before the 101")
	p.open()
	p.send("five")
	assert.Equal(t, websocket.Message{Opcode: websocket.OpText, Data: []byte("one")}, p.next())
	assert.Equal(t, websocket.Message{Opcode: websocket.OpBinary, Data: []byte("two")}, p.next())
	assert.Equal(t, websocket.Pong("three"), p.next())
	assert.Equal(t, websocket.Message{Opcode: websocket.OpText, Data: []byte("four")}, p.next())
	assert.Equal(t, websocket.Message{Opcode: websocket.OpText, Data: []byte("five")}, p.next())
}

// What is held for after the 101 is bounded by MaxPackageSize.
func TestClientHeldIsBounded(t *testing.T) {
	p := newPeer(t, newClient(t, "ws://example.com/", nil), &testConn{maxPackage: 1000})
	_, err := p.codec.Encode(nil, strings.Repeat("a", 600))
	require.NoError(t, err)
	_, err = p.codec.Encode(nil, strings.Repeat("b", 600))
	assert.ErrorIs(t, err, websocket.ErrHandshakePending)
	_, err = p.codec.Encode(nil, strings.Repeat("c", 300))
	assert.NoError(t, err, "a smaller message still fits")
}

func TestClientSubprotocol(t *testing.T) {
	addr := startEcho(t, &websocket.Options{Subprotocols: []string{"chat"}})
	p := dialPeer(t, addr, "/ws", &websocket.ClientOptions{Subprotocols: []string{"v2.chat", "chat"}})
	assert.Equal(t, "chat", p.open().Subprotocol)

	p = dialPeer(t, addr, "/ws", &websocket.ClientOptions{Subprotocols: []string{"other"}})
	assert.Equal(t, "", p.open().Subprotocol, "none in common: the server picks none")
}

func TestClientCompression(t *testing.T) {
	addr := startEcho(t, &websocket.Options{Compression: true, CompressionThreshold: 64})
	p := dialPeer(t, addr, "/ws", &websocket.ClientOptions{Compression: true, CompressionThreshold: 64})
	resp := p.open()
	assert.True(t, resp.Compression)
	assert.Contains(t, resp.Header("Sec-WebSocket-Extensions"), "permessage-deflate")

	text := strings.Repeat("compressible text, ", 1000)
	p.send(text)
	assert.Equal(t, websocket.Message{Opcode: websocket.OpText, Data: []byte(text)}, p.next())
	p.send("short")
	assert.Equal(t, websocket.Message{Opcode: websocket.OpText, Data: []byte("short")}, p.next())

	plain := dialPeer(t, addr, "/ws", nil)
	assert.False(t, plain.open().Compression, "not offered, not used")
}

// fakeServer accepts one connection, reads the handshake request and
// writes what answer makes of its key; then it hands the connection to
// after, if any.
func fakeServer(t *testing.T, answer func(key string) []byte, after func(net.Conn, *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		req, err := nethttp.ReadRequest(r)
		if err != nil {
			return
		}
		if _, err := c.Write(answer(req.Header.Get("Sec-WebSocket-Key"))); err != nil {
			return
		}
		if after != nil {
			after(c, r)
		} else {
			_, _ = io.Copy(io.Discard, r) // until the client closes
		}
	}()
	return ln.Addr().String()
}

func acceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// response101 is a 101 for key with extra header lines.
func response101(key, extra string) []byte {
	return []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptFor(key) + "\r\n" + extra + "\r\n")
}

// serverFrame is an unmasked frame, as a server sends; mask sets a mask
// key, as a server must not.
func serverFrame(fin bool, op byte, payload []byte, mask bool) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, byte(n))
	case n <= 0xFFFF:
		out = append(out, 126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !mask {
		return append(out, payload...)
	}
	out[1] |= 0x80
	key := [4]byte{1, 2, 3, 4}
	out = append(out, key[:]...)
	for i, b := range payload {
		out = append(out, b^key[i%4])
	}
	return out
}

// readClientFrame reads a client's frame: masked, unmasked here.
func readClientFrame(r *bufio.Reader) (op byte, payload []byte, masked bool, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	op, masked = h[0]&0x0F, h[1]&0x80 != 0
	n := int(h[1] & 0x7F) // the tests' frames are short
	var key [4]byte
	if masked {
		if _, err = io.ReadFull(r, key[:]); err != nil {
			return
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return
}

func TestClientHandshakeFailures(t *testing.T) {
	good := "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	for _, tc := range []struct {
		name   string
		answer func(key string) string
		opts   *websocket.ClientOptions
		want   string // the error's text
		status int    // the Response's status; 0: no Response
	}{
		{"refused", func(string) string {
			return "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nno\n"
		}, nil, "websocket: handshake refused: HTTP/1.1 403 Forbidden", 403},
		{"bad accept", func(string) string {
			return "HTTP/1.1 101 Switching Protocols\r\n" + good + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
		}, nil, "websocket: handshake failed: Sec-WebSocket-Accept does not match the key", 101},
		{"no accept", func(string) string {
			return "HTTP/1.1 101 Switching Protocols\r\n" + good + "\r\n"
		}, nil, "Sec-WebSocket-Accept does not match the key", 101},
		{"two accepts", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\n" + good + "Sec-WebSocket-Accept: " + acceptFor(key) + "\r\nSec-WebSocket-Accept: " + acceptFor(key) + "\r\n\r\n"
		}, nil, "Sec-WebSocket-Accept does not match the key", 101},
		{"no Upgrade", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptFor(key) + "\r\n\r\n"
		}, nil, "the 101 lacks Upgrade: websocket", 101},
		{"Connection without upgrade", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: " + acceptFor(key) + "\r\n\r\n"
		}, nil, "the 101 lacks Connection: upgrade", 101},
		{"a 101 over HTTP/1.0", func(key string) string {
			return strings.Replace(string(response101(key, "")), "HTTP/1.1", "HTTP/1.0", 1)
		}, nil, "a 101 answer must be HTTP/1.1", 101},
		{"a subprotocol not offered", func(key string) string {
			return string(response101(key, "Sec-WebSocket-Protocol: chat\r\n"))
		}, &websocket.ClientOptions{Subprotocols: []string{"v2"}}, `the server chose subprotocol "chat", which was not offered`, 101},
		{"a subprotocol when none was offered", func(key string) string {
			return string(response101(key, "Sec-WebSocket-Protocol: chat\r\n"))
		}, nil, "which was not offered", 101},
		{"an extension not offered", func(key string) string {
			return string(response101(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"))
		}, nil, "an extension not offered", 101},
		{"deflate keeping the server's context", func(key string) string {
			return string(response101(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"))
		}, &websocket.ClientOptions{Compression: true}, "an extension not offered", 101},
		{"deflate limiting the client's window", func(key string) string {
			return string(response101(key, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n"))
		}, &websocket.ClientOptions{Compression: true}, "an extension not offered", 101},
		{"not HTTP", func(string) string { return "SSH-2.0-OpenSSH_9.6\r\n" }, nil,
			`websocket: handshake failed: the answer is no HTTP response: "SSH-2.0-OpenSSH_9.6\r\n"`, 0},
		{"a malformed field", func(string) string { return "HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n" }, nil,
			"a malformed header field", 0},
		{"a folded field", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n  , other\r\n\r\n"
		}, nil, "a malformed header field", 0},
		{"a head over 8 KiB", func(string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nX-Padding: " + strings.Repeat("p", 9000) + "\r\n\r\n"
		}, nil, "the answer's head exceeds 8192 bytes", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(key string) []byte { return []byte(tc.answer(key)) }, nil)
			p := dialPeer(t, addr, "/", tc.opts)
			assert.Nil(t, p.next())
			require.Error(t, p.err)
			var cf protocols.ConnectFailure
			require.True(t, errors.As(p.err, &cf), "%T is a ConnectFailure", p.err)
			assert.True(t, cf.ConnectFailure())
			assert.Contains(t, p.err.Error(), tc.want)
			var he *websocket.HandshakeError
			require.ErrorAs(t, p.err, &he)
			if tc.status == 0 {
				assert.Nil(t, he.Response)
			} else {
				require.NotNil(t, he.Response)
				assert.Equal(t, tc.status, he.Response.Status)
			}
		})
	}
}

// A refusal's fields are there to read (a redirect's Location, a 401's
// challenge).
func TestClientRefusalHeaders(t *testing.T) {
	addr := fakeServer(t, func(string) []byte {
		return []byte("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ws\"\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")
	}, nil)
	p := dialPeer(t, addr, "/", nil)
	p.next()
	var he *websocket.HandshakeError
	require.ErrorAs(t, p.err, &he)
	assert.Equal(t, `Basic realm="ws"`, he.Response.Header("www-authenticate"))
	assert.Equal(t, []string{"a=1", "b=2"}, he.Response.HeaderValues("Set-Cookie"))
	assert.Equal(t, "a=1, b=2", he.Response.Header("Set-Cookie"))
	var names []string
	for name := range he.Response.Headers() {
		names = append(names, name)
	}
	assert.Equal(t, []string{"WWW-Authenticate", "Set-Cookie", "Set-Cookie"}, names)
}

// The 101 and the server's first frames may arrive in one read.
func TestClientHeadAndFramesInOneRead(t *testing.T) {
	frames := append(serverFrame(true, 1, []byte("first"), false), serverFrame(true, 2, []byte{2}, false)...)
	addr := fakeServer(t, func(key string) []byte { return append(response101(key, ""), frames...) }, nil)
	p := dialPeer(t, addr, "/", nil)
	p.open()
	assert.Equal(t, websocket.Message{Opcode: websocket.OpText, Data: []byte("first")}, p.next())
	assert.Equal(t, websocket.Message{Opcode: websocket.OpBinary, Data: []byte{2}}, p.next())
}

// A masked frame from the server is a protocol error: the client sends a
// masked close with 1002.
func TestClientMaskedServerFrame(t *testing.T) {
	got := make(chan []byte, 1)
	addr := fakeServer(t, func(key string) []byte {
		return append(response101(key, ""), serverFrame(true, 1, []byte("masked"), true)...)
	}, func(c net.Conn, r *bufio.Reader) {
		op, payload, masked, err := readClientFrame(r)
		if err != nil || op != 8 || !masked {
			got <- nil
			return
		}
		got <- payload
	})
	p := dialPeer(t, addr, "/", nil)
	p.open()
	assert.Nil(t, p.next())
	var ce *websocket.CloseError
	require.ErrorAs(t, p.err, &ce)
	assert.Equal(t, websocket.CloseProtocolError, ce.Code)
	var cf protocols.ConnectFailure
	assert.False(t, errors.As(p.err, &cf), "after the handshake an error is no connect failure")
	select {
	case payload := <-got:
		require.GreaterOrEqual(t, len(payload), 2, "the server got a masked close frame")
		assert.Equal(t, websocket.CloseProtocolError, int(binary.BigEndian.Uint16(payload)))
	case <-time.After(5 * time.Second):
		t.Fatal("no close frame")
	}
}

func TestClientHandshakeTimeout(t *testing.T) {
	addr := fakeServer(t, func(string) []byte { return nil }, nil) // never answers
	p := dialPeer(t, addr, "/", &websocket.ClientOptions{HandshakeTimeout: 50 * time.Millisecond})
	require.Eventually(t, p.conn.closed.Load, 5*time.Second, 10*time.Millisecond,
		"the connection is closed when no 101 comes")
}

func TestClientCloseTimeout(t *testing.T) {
	addr := fakeServer(t, func(key string) []byte { return response101(key, "") }, nil) // never closes
	p := dialPeer(t, addr, "/", &websocket.ClientOptions{CloseTimeout: 50 * time.Millisecond})
	p.open()
	p.send(websocket.Close{Code: websocket.CloseNormal})
	require.Eventually(t, p.conn.closed.Load, 5*time.Second, 10*time.Millisecond,
		"the connection is closed when the server does not answer the close")
}

// Release stops the timers: a connection already gone is not closed
// again by them.
func TestClientReleaseStopsTimers(t *testing.T) {
	p := newPeer(t, newClient(t, "ws://example.com/", &websocket.ClientOptions{HandshakeTimeout: 20 * time.Millisecond}), &testConn{})
	p.codec.(protocols.Greeter).Greeting()
	p.codec.(protocols.Releaser).Release()
	time.Sleep(100 * time.Millisecond)
	assert.False(t, p.conn.closed.Load())
}
