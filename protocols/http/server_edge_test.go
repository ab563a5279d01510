package http_test

// Second reader's reproducer (review of the changes since bc73216).

import (
	"bufio"
	"bytes"
	"io"
	nethttp "net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// With MaxPackageSize below MaxStalledInput (64 KiB), pipelined input
// that waits behind an owed response trips readInput's MaxPackageSize
// check before the overflowStall branch: the connection fails at once and
// the request it owes is never answered (no 413 either), although the
// stalled bytes are many small packages, not one large one.
func TestStalledInputSmallMaxPackage(t *testing.T) {
	release := make(chan struct{})
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/slow" {
			go func() { <-release; respondPath(c, req) }()
			return
		}
		respondPath(c, req)
	}, func(w *worker.Worker) { w.MaxPackageSize = 8 << 10 })
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	// 300 small pipelined requests, ~11 KiB in all
	_, err = conn.Write(bytes.Repeat([]byte("GET /p HTTP/1.1\r\nHost: x\r\n\r\n"), 300))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	close(release)
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), &nethttp.Request{Method: "GET"})
	require.NoError(t, err, "the owed response is still sent")
	assert.Equal(t, 200, resp.StatusCode)
}

// A file response with a bodiless status (204, or a 304 the handler sets
// itself) is pumped anyway: the file's bytes follow a head that declares
// no body, and the client reads them as the next response.
func TestBodilessFileResponseSendsBody(t *testing.T) {
	path := t.TempDir() + "/big"
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("Z"), 3<<20), 0o644))
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/file" {
			_ = c.Send(http.NewResponse(204, nil, "").WithFile(path, 0, 0))
			return
		}
		respondPath(c, req)
	}, nil)
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, _ := readResponse(t, br, "GET")
	assert.Equal(t, 204, resp.StatusCode)
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err = nethttp.ReadResponse(br, &nethttp.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("the next response does not follow the 204: %.80s", err.Error())
	}
	assert.Equal(t, 200, resp.StatusCode)
}
