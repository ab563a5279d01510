package websocket_test

import (
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

func TestHandshake(t *testing.T) {
	addr := startEcho(t, &websocket.Options{Subprotocols: []string{"chat.v2", "chat"}})

	t.Run("accepted, with the key's answer and a subprotocol", func(t *testing.T) {
		_, resp := dialWS(t, addr, false, "Sec-WebSocket-Protocol: chat, other\r\n")
		assert.Equal(t, 101, resp.StatusCode)
		assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", resp.Header.Get("Sec-WebSocket-Accept"), "RFC 6455's example key")
		assert.Equal(t, "websocket", resp.Header.Get("Upgrade"))
		assert.Equal(t, "chat", resp.Header.Get("Sec-WebSocket-Protocol"))
	})

	for _, tc := range []struct {
		name, request string
		status        int
	}{
		{"POST", "POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 400},
		{"HTTP/1.0", "GET /ws HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"no Upgrade", "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"Connection without upgrade", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"short key", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"version 8", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := dialRequest(t, addr, false, tc.request)
			assert.Equal(t, tc.status, resp.StatusCode)
			if tc.status == 426 {
				assert.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
			}
			_ = c
		})
	}

	t.Run("tokens in any case, in lists", func(t *testing.T) {
		_, resp := dialRequest(t, addr, false, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		assert.Equal(t, 101, resp.StatusCode)
	})

	t.Run("the same port still serves pages", func(t *testing.T) {
		_, resp := dialRequest(t, addr, false, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4))
		assert.Equal(t, "page", string(body))
	})
}

// The hooks see what workerman's do, and OnConnect can refuse.
func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var events []string
	note := func(e string) int {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		return len(events)
	}
	opts := &websocket.Options{
		OnWebSocketConnect: func(c *connection.TcpConnection, req *http.Request) *http.Response {
			if req.Header("Origin") != "https://good.example" {
				return http.NewResponse(403, nil, "bad origin")
			}
			return nil
		},
		OnWebSocketConnected: func(c *connection.TcpConnection, req *http.Request) {
			note("connected " + req.Get("room"))
		},
		OnMessage: func(c *connection.TcpConnection, m websocket.Message) {
			n := note("message " + m.Text())
			if m.Text() == "panic" {
				panic("handler bug")
			}
			_ = c.Send(fmt.Sprintf("%d events", n))
		},
		OnWebSocketPing: func(c *connection.TcpConnection, data []byte) { note("ping " + string(data)) },
		OnWebSocketPong: func(c *connection.TcpConnection, data []byte) { note("pong " + string(data)) },
		OnWebSocketClose: func(c *connection.TcpConnection, code int, reason string) {
			note(fmt.Sprint("close ", code, " ", reason))
		},
	}
	addr := startEcho(t, opts)

	_, resp := dialWSPath(t, addr, "/ws?room=a", "Origin: https://evil.example\r\n")
	assert.Equal(t, 403, resp.StatusCode, "OnWebSocketConnect refuses with its response")

	c, resp := dialWSPath(t, addr, "/ws?room=blue", "Origin: https://good.example\r\n")
	require.Equal(t, 101, resp.StatusCode)
	c.write(frame(true, 9, []byte("p1"), 0))
	c.write(frame(true, 0xA, []byte("p2"), 0))
	c.write(frame(true, 1, []byte("hi"), 0))
	_, op, p, err := c.readFrame() // the pong
	require.NoError(t, err)
	assert.Equal(t, byte(0xA), op)
	_, _, p, err = c.readFrame()
	require.NoError(t, err)
	assert.Equal(t, "4 events", string(p))
	c.write(frame(true, 8, closePayload(1001, "going"), 0))
	assert.Equal(t, 1001, c.expectClose())
	mu.Lock()
	assert.Equal(t, []string{"connected blue", "ping p1", "pong p2", "message hi", "close 1001 going"}, events)
	mu.Unlock()

	// A panic in a hook closes with 1011.
	c, resp = dialWSPath(t, addr, "/ws", "Origin: https://good.example\r\n")
	require.Equal(t, 101, resp.StatusCode)
	c.write(frame(true, 1, []byte("panic"), 0))
	assert.Equal(t, 1011, c.expectClose())
}
