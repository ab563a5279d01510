package websocket_test

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// startUpgrader starts an http:// worker upgrading every request with
// opts and sending what Upgrade returned to errs.
func startUpgrader(t *testing.T, opts *websocket.Options, errs chan<- error) string {
	t.Helper()
	w, err := worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		errs <- websocket.Upgrade(c, req, opts)
	}
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w.Addr().String()
}

// CheckOrigin refuses a browser's handshake from an origin it does not
// allow with 403, before the upgrade and before OnWebSocketConnect; a
// handshake without Origin (a non-browser client) is not asked about.
func TestCheckOrigin(t *testing.T) {
	policy := &http.CORS{AllowOrigins: []string{"https://good.example"}}
	var asked, connects atomic.Int32
	opts := &websocket.Options{
		CheckOrigin: func(origin string) bool {
			asked.Add(1)
			return policy.AllowOrigin(origin)
		},
		OnWebSocketConnect: func(*connection.TcpConnection, *http.Request) *http.Response {
			connects.Add(1)
			return nil
		},
		OnMessage: func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) },
	}
	errs := make(chan error, 10)
	addr := startUpgrader(t, opts, errs)

	c, resp := dialWS(t, addr, false, "Origin: https://good.example\r\n")
	require.Equal(t, 101, resp.StatusCode)
	require.NoError(t, <-errs)
	c.write(frame(true, 1, []byte("hi"), 0))
	_, _, p, err := c.readFrame()
	require.NoError(t, err)
	assert.Equal(t, "hi", string(p))

	for name, extra := range map[string]string{
		"other origin":  "Origin: https://evil.example\r\n",
		"two origins":   "Origin: https://good.example\r\nOrigin: https://good.example\r\n",
		"empty origin":  "Origin: \r\n",
		"origin 'null'": "Origin: null\r\n",
	} {
		c, resp := dialWS(t, addr, false, extra)
		assert.Equal(t, 403, resp.StatusCode, name)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "websocket: origin not allowed\n", string(body), name)
		assert.Empty(t, resp.Header.Get("Upgrade"), name)
		assert.ErrorIs(t, <-errs, websocket.ErrOriginNotAllowed, name)
		_, _, _, err := c.readFrame()
		assert.Error(t, err, "%s: the connection is closed", name)
	}
	assert.Equal(t, int32(1), connects.Load(), "OnWebSocketConnect only saw the allowed handshake")

	before := asked.Load()
	_, resp = dialWS(t, addr, false, "")
	assert.Equal(t, 101, resp.StatusCode, "no Origin: allowed by default")
	require.NoError(t, <-errs)
	assert.Equal(t, before, asked.Load(), "CheckOrigin is not asked without an Origin")

	// A bad handshake is still a 400, whatever its origin.
	_, resp = dialRequest(t, addr, false, "GET /ws HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n")
	assert.Equal(t, 400, resp.StatusCode)
	assert.ErrorIs(t, <-errs, websocket.ErrBadHandshake)
}

// Without CheckOrigin every origin is accepted, as before.
func TestNoCheckOrigin(t *testing.T) {
	errs := make(chan error, 1)
	addr := startUpgrader(t, &websocket.Options{}, errs)
	_, resp := dialWS(t, addr, false, "Origin: https://evil.example\r\n")
	assert.Equal(t, 101, resp.StatusCode)
	assert.NoError(t, <-errs)
}

// A ws:// worker's Server takes CheckOrigin like the other options.
func TestServerCheckOrigin(t *testing.T) {
	w, err := worker.New("ws://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.Protocol.(*websocket.Server).CheckOrigin = (&http.CORS{AllowOrigins: []string{"https://good.example"}}).AllowOrigin
	w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) }
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	addr := w.Addr().String()

	_, resp := dialWS(t, addr, false, "Origin: https://evil.example\r\n")
	assert.Equal(t, 403, resp.StatusCode)
	_, resp = dialWS(t, addr, false, "Origin: https://good.example\r\n")
	assert.Equal(t, 101, resp.StatusCode)
}
