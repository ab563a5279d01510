package http_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
)

// The response details over a real connection: a file section is 206, two
// Link headers arrive as two, an HTTP/1.0 status line keeps the
// connection open with keep-alive and never goes with chunked framing.
func TestServerResponseDetails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	require.NoError(t, os.WriteFile(p, []byte("0123456789"), 0o644))
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		switch req.Path() {
		case "/section":
			_ = c.Send(http.NewResponse(200, nil, "").WithFile(p, 2, 3))
		case "/links":
			_ = c.Send(http.NewResponse(200, nil, "ok").WithAddedHeader("Link", "<a>").WithAddedHeader("Link", "<b>"))
		case "/v10":
			_ = c.Send(http.NewResponse(200, nil, "old").WithProtocolVersion("1.0"))
		case "/v10chunked":
			_ = c.Send(http.NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, "first,").WithProtocolVersion("1.0"))
			_ = c.Send(http.NewChunkString("second"))
			_ = c.Send(http.NewChunkString(""))
		}
	}, nil)

	conn := dial(t, addr)
	br := bufio.NewReader(conn)
	_, err := io.WriteString(conn, "GET /section HTTP/1.1\r\nHost: x\r\n\r\nGET /links HTTP/1.1\r\nHost: x\r\n\r\nGET /v10 HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, body := readResponse(t, br, "GET")
	assert.Equal(t, 206, resp.StatusCode)
	assert.Equal(t, "bytes 2-4/10", resp.Header.Get("Content-Range"))
	assert.Equal(t, "234", body)
	resp, _ = readResponse(t, br, "GET")
	assert.Equal(t, []string{"<a>", "<b>"}, resp.Header.Values("Link"))
	resp, body = readResponse(t, br, "GET")
	assert.Equal(t, "HTTP/1.0", resp.Proto)
	assert.Equal(t, "old", body)
	assert.False(t, resp.Close, "kept open, and said so")

	_, err = io.WriteString(conn, "GET /v10chunked HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, body = readResponse(t, br, "GET")
	assert.Equal(t, "HTTP/1.0", resp.Proto)
	assert.Empty(t, resp.TransferEncoding)
	assert.Equal(t, "first,second", body, "delimited by the close")
	assert.True(t, strings.EqualFold(resp.Header.Get("Connection"), "close"))
}
