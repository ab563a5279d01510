package http_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// handler is the typed OnMessage of an http worker.
type handler = func(c *connection.TcpConnection, req *http.Request)

// startServer starts an http worker on a free loopback port with handler
// as its OnMessage, after setup (may be nil) has configured it, and stops
// it when the test ends. It returns the worker and its address.
func startServer(t testing.TB, h handler, setup func(w *worker.Worker)) (*worker.Worker, string) {
	t.Helper()
	w, err := worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = h
	if setup != nil {
		setup(w)
	}
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w, w.Addr().String()
}

// httpProto is the worker's *http.Protocol, to set its timeouts.
func httpProto(w *worker.Worker) *http.Protocol { return w.Protocol.(*http.Protocol) }

// dial opens a connection to addr, closed when the test ends, with a
// 10-second deadline on everything.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return c
}

// readResponse reads one response for a request of the given method with
// net/http's reader, body included.
func readResponse(t testing.TB, br *bufio.Reader, method string) (*nethttp.Response, string) {
	t.Helper()
	resp, err := nethttp.ReadResponse(br, &nethttp.Request{Method: method})
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp, string(body)
}

// waitClosed reports whether the peer closes conn (EOF or reset) within d,
// reading and discarding whatever comes before.
func waitClosed(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) }()
	p := make([]byte, 4096)
	for {
		_, err := conn.Read(p)
		if err == nil {
			continue
		}
		return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	}
}

// respondPath answers every request with its path as a text/plain body.
func respondPath(c *connection.TcpConnection, req *http.Request) {
	_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, req.Path()))
}
