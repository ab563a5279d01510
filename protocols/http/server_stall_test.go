package http_test

import (
	"bufio"
	"bytes"
	"io"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
)

// While a response is owed (a handler answers later, or a stream runs),
// gnet keeps reading what the peer sends and nothing parses it. That input
// is bounded: past a small window the connection stops taking it, answers
// what it owes with "Connection: close" (a stream ends) and closes.
func TestServerBoundsInputWhileAnswering(t *testing.T) {
	release := make(chan struct{})
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		switch req.Path() {
		case "/events":
			_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, ""))
		case "/slow":
			go func() { <-release; respondPath(c, req) }()
		default:
			respondPath(c, req)
		}
	}, nil)
	junk := bytes.Repeat([]byte("GET /pipelined HTTP/1.1\r\nHost: x\r\n\r\n"), 32<<10) // ~1 MiB

	t.Run("event stream", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		resp, err := nethttp.ReadResponse(br, &nethttp.Request{Method: "GET"})
		require.NoError(t, err)
		_ = resp
		for range 20 {
			if _, err := conn.Write(junk); err != nil {
				break
			}
		}
		assert.True(t, waitClosed(conn, 5*time.Second), "a stream's peer that floods it is cut off")
	})

	t.Run("slow answer", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		go func() {
			for range 20 {
				if _, err := conn.Write(junk); err != nil {
					return
				}
			}
		}()
		time.Sleep(300 * time.Millisecond)
		close(release)
		resp, body := readResponse(t, bufio.NewReader(conn), "GET")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "/slow", body, "what was owed is still answered")
		assert.True(t, resp.Close, "with Connection: close")
		assert.True(t, waitClosed(conn, 5*time.Second))
	})
}
