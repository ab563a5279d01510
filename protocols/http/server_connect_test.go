package http_test

import (
	"bufio"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// A server that is no proxy must not answer CONNECT with the 200 its
// handler gives every request: that would tell the client its tunnel is
// open. CONNECT reaches OnMessage only with AllowConnect.
func TestServerConnect(t *testing.T) {
	const connect = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
	ok := func(c *connection.TcpConnection, req *http.Request) { _ = c.Send("ok " + req.Method()) }

	_, addr := startServer(t, ok, nil)
	conn := dial(t, addr)
	_, err := io.WriteString(conn, connect)
	require.NoError(t, err)
	resp, _ := readResponse(t, bufio.NewReader(conn), "GET")
	assert.Equal(t, 501, resp.StatusCode)
	assert.True(t, waitClosed(conn, 5e9))

	_, addr = startServer(t, ok, func(w *worker.Worker) { httpProto(w).AllowConnect = true })
	conn = dial(t, addr)
	_, err = io.WriteString(conn, connect)
	require.NoError(t, err)
	resp, body := readResponse(t, bufio.NewReader(conn), "GET")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "ok CONNECT", body)
}
