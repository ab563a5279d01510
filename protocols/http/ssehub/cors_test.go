package ssehub_test

import (
	"bufio"
	"net"
	nethttp "net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/bus/memlog"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
)

const pageOrigin = "http://127.0.0.1:3000"

// subscribeFrom opens an event stream with the Origin header origin ("" for
// none) and returns its response head and a client reading its events.
func subscribeFrom(t *testing.T, addr, origin string) (nethttp.Header, *client) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	req := "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	_, err = conn.Write([]byte(req + "\r\n"))
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := nethttp.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return resp.Header, &client{conn: conn, r: br}
}

// hubs are the two ways a hub runs: in memory, and on a backend.
func hubs(t *testing.T, opts ssehub.Options) map[string]ssehub.Options {
	store := memlog.New(memlog.Options{})
	t.Cleanup(store.Close)
	shared := opts
	shared.Backend = store.Node()
	return map[string]ssehub.Options{"memory": opts, "backend": shared}
}

// The event stream carries each request's CORS answer, in memory and with
// a backend alike, and events still flow.
func TestHubCORS(t *testing.T) {
	policy := &http.CORS{AllowOrigins: []string{pageOrigin}, ExposeHeaders: []string{"X-Node"}}
	for name, opts := range hubs(t, ssehub.Options{CORS: policy, Heartbeat: -1, Header: map[string]string{"X-Node": "a"}}) {
		t.Run(name, func(t *testing.T) {
			hub := ssehub.New(opts)
			addr := server(t, hub, nil)

			h, allowed := subscribeFrom(t, addr, pageOrigin)
			assert.Equal(t, pageOrigin, h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "X-Node", h.Get("Access-Control-Expose-Headers"))
			assert.Equal(t, "Origin", h.Get("Vary"))
			assert.Equal(t, "a", h.Get("X-Node"), "Options.Header kept")
			assert.Equal(t, "no-cache", h.Get("Cache-Control"))

			h, other := subscribeFrom(t, addr, "http://evil.example")
			assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
			assert.Empty(t, h.Get("Access-Control-Expose-Headers"))
			assert.Equal(t, "Origin", h.Get("Vary"))

			h, none := subscribeFrom(t, addr, "")
			assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "Origin", h.Get("Vary"))

			require.Eventually(t, func() bool { return hub.Subscribers("t") == 3 }, 5*time.Second, 10*time.Millisecond)
			_, err := hub.Publish("t", http.ServerSentEvents{Data: "hi"})
			require.NoError(t, err)
			for _, c := range []*client{allowed, other, none} {
				assert.Equal(t, "hi", c.next(t, false).data)
			}
		})
	}
}

// Without Options.CORS nothing changes: no Access-Control-* header, no
// Vary.
func TestHubWithoutCORS(t *testing.T) {
	hub := ssehub.New(ssehub.Options{Heartbeat: -1})
	addr := server(t, hub, nil)
	h, _ := subscribeFrom(t, addr, pageOrigin)
	assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, h.Get("Vary"))
}

// "*" without credentials is one answer for all origins.
func TestHubCORSWildcard(t *testing.T) {
	hub := ssehub.New(ssehub.Options{CORS: &http.CORS{AllowOrigins: []string{"*"}}, Heartbeat: -1})
	addr := server(t, hub, nil)
	for _, origin := range []string{pageOrigin, "http://other.example"} {
		h, _ := subscribeFrom(t, addr, origin)
		assert.Equal(t, "*", h.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, h.Get("Vary"))
	}
	assert.Equal(t, 1, ssehub.CORSHeads(hub))
}

// decode parses one request.
func decode(t testing.TB, raw string) *http.Request {
	t.Helper()
	p := http.NewParser(http.Limits{})
	_, err := p.Input([]byte(raw))
	require.NoError(t, err)
	req := new(http.Request)
	require.NoError(t, p.Decode([]byte(raw), req))
	return req
}

func withOrigin(t testing.TB, origin string) *http.Request {
	return decode(t, "GET /events HTTP/1.1\r\nHost: x\r\nOrigin: "+origin+"\r\n\r\n")
}

// One response per allowed origin, shared by its subscribers, at most
// MaxCORSHeads of them; past that, a response per subscription.
func TestHubCORSHeadsBounded(t *testing.T) {
	policy := &http.CORS{AllowOriginFunc: func(string) bool { return true }, AllowCredentials: true}
	hub := ssehub.New(ssehub.Options{CORS: policy, Heartbeat: -1})
	defer hub.Close()

	a := ssehub.HeaderFor(hub, withOrigin(t, pageOrigin))
	assert.Same(t, a, ssehub.HeaderFor(hub, withOrigin(t, pageOrigin)), "kept per origin")
	assert.Equal(t, pageOrigin, a.Header("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", a.Header("Access-Control-Allow-Credentials"))
	none := ssehub.HeaderFor(hub, decode(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	assert.Same(t, none, ssehub.HeaderFor(hub, decode(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")))
	assert.Empty(t, none.Header("Access-Control-Allow-Origin"))

	for i := range 2 * ssehub.MaxCORSHeads {
		origin := "http://h" + strconv.Itoa(i) + ".example"
		r := ssehub.HeaderFor(hub, withOrigin(t, origin))
		assert.Equal(t, origin, r.Header("Access-Control-Allow-Origin"))
	}
	assert.Equal(t, ssehub.MaxCORSHeads, ssehub.CORSHeads(hub))
	assert.Same(t, a, ssehub.HeaderFor(hub, withOrigin(t, pageOrigin)), "kept ones stay")
}

// Choosing the response allocates nothing without CORS, nor for an origin
// whose response is kept.
func TestHubHeaderForZeroAlloc(t *testing.T) {
	plain := ssehub.New(ssehub.Options{Heartbeat: -1})
	defer plain.Close()
	withCORS := ssehub.New(ssehub.Options{CORS: &http.CORS{AllowOrigins: []string{pageOrigin}}, Heartbeat: -1})
	defer withCORS.Close()
	req := withOrigin(t, pageOrigin)
	ssehub.HeaderFor(withCORS, req)
	assert.Zero(t, testing.AllocsPerRun(100, func() { ssehub.HeaderFor(plain, req) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { ssehub.HeaderFor(withCORS, req) }))
}
