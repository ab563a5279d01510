package worker_test

import (
	"bufio"
	"fmt"
	"io"
	nethttp "net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// A ws:// worker, as workerman's websocket://: every connection is
// upgraded, OnMessage gets websocket.Message, and the hooks live on the
// worker's Protocol.
func TestWebSocketWorker(t *testing.T) {
	_, addr := start(t, "ws", func(w *worker.Worker) {
		srv := w.Protocol.(*websocket.Server)
		srv.OnWebSocketConnect = func(c *connection.TcpConnection, req *http.Request) *http.Response {
			if req.Path() != "/chat" {
				return http.NewResponse(404, nil, "no such room")
			}
			return nil
		}
		w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) {
			_ = c.Send(fmt.Sprintf("echo %s", m.Text()))
		}
	})
	b0, payload := sayHi(t, dial(t, addr), "/chat")
	assert.Equal(t, byte(0x81), b0)
	assert.Equal(t, "echo hi", payload)

	other := dial(t, addr)
	fmt.Fprint(other, "GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp, err := nethttp.ReadResponse(bufio.NewReader(other), &nethttp.Request{Method: "GET"})
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode)
}

// sayHi upgrades conn to WebSocket at path, sends a masked text frame
// "hi" and returns the first byte and the payload of the frame that comes
// back.
func sayHi(t *testing.T, conn io.ReadWriter, path string) (byte, string) {
	t.Helper()
	r := bufio.NewReader(conn)
	fmt.Fprint(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp, err := nethttp.ReadResponse(r, &nethttp.Request{Method: "GET"})
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)
	_, err = conn.Write([]byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2})
	require.NoError(t, err)
	var h [2]byte
	_, err = io.ReadFull(r, h[:])
	require.NoError(t, err)
	payload := make([]byte, h[1]&0x7f)
	_, err = io.ReadFull(r, payload)
	require.NoError(t, err)
	return h[0], string(payload)
}

// A worker's stop (and a reload) ends WebSocket connections with a close
// frame saying 1001, going away, rather than a bare TCP close.
func TestWebSocketStopSaysGoingAway(t *testing.T) {
	w, addr := start(t, "ws", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send("echo " + m.Text()) }
	})
	conn := dial(t, addr)
	_, payload := sayHi(t, conn, "/")
	require.Equal(t, "echo hi", payload)
	go func() { _ = w.Stop() }()
	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(got), 4, "a close frame")
	assert.Equal(t, byte(0x88), got[0], "FIN, close")
	assert.Equal(t, 1001, int(got[2])<<8|int(got[3]))
}
