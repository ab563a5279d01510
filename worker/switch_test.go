package worker_test

import (
	"bufio"
	"io"
	nethttp "net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/text"
	"github.com/gnetworker/gnetworker/worker"
)

// An HTTP connection upgrades to another protocol (a line protocol here,
// as WebSocket will be): the 101 goes out encoded by HTTP, and every byte
// after the upgrade request, including bytes that arrived in the same
// read, is the new protocol's.
func TestSwitchProtocolAfterUpgrade(t *testing.T) {
	_, addr := start(t, "http", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			if req.Header("Upgrade") != "lines" {
				_ = c.Send("plain http")
				return
			}
			_ = c.Send(http.NewResponse(101, map[string]string{"Upgrade": "lines", "Connection": "Upgrade"}, ""))
			err := c.SwitchProtocol(text.Protocol{}, func(c *connection.TcpConnection, msg any) {
				_ = c.Send("echo " + msg.(string))
			})
			if err != nil {
				panic(err)
			}
		}
	})
	conn := dial(t, addr)
	// The first line of the new protocol rides in the upgrade's packet.
	_, err := io.WriteString(conn, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: lines\r\n\r\nfirst\n")
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	resp, err := nethttp.ReadResponse(r, &nethttp.Request{Method: "GET"})
	require.NoError(t, err)
	assert.Equal(t, 101, resp.StatusCode)
	assert.Equal(t, "echo first", readLine(t, r))
	_, err = io.WriteString(conn, "second\nGET / HTTP/1.1\n")
	require.NoError(t, err)
	assert.Equal(t, "echo second", readLine(t, r))
	assert.Equal(t, "echo GET / HTTP/1.1", readLine(t, r), "HTTP is gone from this connection")
}
