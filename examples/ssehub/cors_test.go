package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
)

func TestAllowOriginFlag(t *testing.T) {
	var l originList
	require.NoError(t, l.Set("http://127.0.0.1:3000, https://app.example"))
	require.NoError(t, l.Set("*"))
	require.NoError(t, l.Set(""))
	assert.Equal(t, originList{"http://127.0.0.1:3000", "https://app.example", "*"}, l)
	assert.Equal(t, "http://127.0.0.1:3000,https://app.example,*", l.String())

	for _, bad := range []string{"127.0.0.1:3000", "http://app.example/", "http://a,https://b/x"} {
		err := new(originList).Set(bad)
		require.ErrorIs(t, err, http.ErrInvalidCORS, bad)
		assert.Contains(t, err.Error(), "scheme://host[:port]")
	}
	assert.Nil(t, corsPolicy(nil))
}

// startCORS runs the example with -allow-origin origins and returns its
// base URL.
func startCORS(t *testing.T, origins ...string) string {
	t.Helper()
	cors := corsPolicy(origins)
	hub := ssehub.New(ssehub.Options{CORS: cors, Heartbeat: -1})
	w, err := newCORSWorker("127.0.0.1:0", hub, cors)
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop(); hub.Close() })
	return "http://" + w.Addr().String()
}

func do(t *testing.T, method, url, body string, header ...string) *nethttp.Response {
	t.Helper()
	req, err := nethttp.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &nethttp.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// The example answers preflights for /events and /messages, and its
// answers carry Access-Control-Allow-Origin for an allowed page.
func TestCORSRequests(t *testing.T) {
	const page = "http://page.example:3000"
	base := startCORS(t, page)

	resp := do(t, "OPTIONS", base+"/events", "", "Origin", page,
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "last-event-id")
	assert.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, page, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID")

	resp = do(t, "OPTIONS", base+"/messages", "", "Origin", page,
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	assert.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, "GET, POST", resp.Header.Get("Access-Control-Allow-Methods"))
	assert.Equal(t, "Content-Type, Last-Event-ID", resp.Header.Get("Access-Control-Allow-Headers"))

	resp = do(t, "OPTIONS", base+"/messages", "", "Origin", "http://evil.example",
		"Access-Control-Request-Method", "POST")
	assert.Equal(t, 403, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp = do(t, "OPTIONS", base+"/elsewhere", "", "Origin", page, "Access-Control-Request-Method", "GET")
	assert.Equal(t, 404, resp.StatusCode, "only /events and /messages answer preflights")

	resp = do(t, "POST", base+"/messages", `{"message":"hi"}`, "Origin", page, "Content-Type", "application/json")
	assert.Equal(t, 202, resp.StatusCode)
	assert.Equal(t, page, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "Origin", resp.Header.Get("Vary"))

	resp = do(t, "POST", base+"/messages", "message=", "Origin", page, "Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, page, resp.Header.Get("Access-Control-Allow-Origin"), "errors are readable too")

	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Write([]byte("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nOrigin: " + page + "\r\n\r\n"))
	require.NoError(t, err)
	stream, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	assert.Equal(t, 200, stream.StatusCode)
	assert.Equal(t, page, stream.Header.Get("Access-Control-Allow-Origin"))
}

// Without -allow-origin nothing changes: no preflight answers, no
// Access-Control-* headers.
func TestNoCORSByDefault(t *testing.T) {
	base := startCORS(t)
	resp := do(t, "OPTIONS", base+"/messages", "", "Origin", "http://page.example",
		"Access-Control-Request-Method", "POST")
	assert.Equal(t, 404, resp.StatusCode)
	resp = do(t, "POST", base+"/messages", "message=hi", "Origin", "http://page.example",
		"Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 202, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, resp.Header.Get("Vary"))
}
