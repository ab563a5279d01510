package worker_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// EndAtNextBoundary, what a reload does first: an idle keep-alive
// connection stays open and answers its next request with "Connection:
// close", then closes; a stream ends and its connection closes now.
func TestEndAtNextBoundary(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]*connection.TcpConnection{}
	_, addr := start(t, "http", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			mu.Lock()
			conns[req.Path()] = c
			mu.Unlock()
			if req.Path() == "/events" {
				_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, "\r\n"))
				return
			}
			_ = c.Send(http.NewResponse(200, nil, "ok"))
		}
	})
	get := func(conn io.Writer, path string) {
		_, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
	}
	idle, stream := dial(t, addr), dial(t, addr)
	ir, sr := bufio.NewReader(idle), bufio.NewReader(stream)
	get(idle, "/idle")
	resp, err := nethttp.ReadResponse(ir, nil)
	require.NoError(t, err)
	_, _ = io.ReadAll(resp.Body)
	assert.False(t, resp.Close)
	get(stream, "/events")
	resp, err = nethttp.ReadResponse(sr, nil)
	require.NoError(t, err)
	eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(conns) == 2 }, "both requests seen")

	mu.Lock()
	conns["/idle"].EndAtNextBoundary()
	conns["/events"].EndAtNextBoundary()
	mu.Unlock()

	_, err = io.ReadAll(resp.Body) // the stream ends with its connection
	assert.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // the idle one is not closed meanwhile
	get(idle, "/idle")
	resp, err = nethttp.ReadResponse(ir, nil)
	require.NoError(t, err, "the idle connection answered its next request")
	_, _ = io.ReadAll(resp.Body)
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, resp.Close, "with Connection: close")
	expectEOF(t, idle)
}

// An HTTP worker's access log has a record per response.
func TestHTTPAccessLog(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	_, addr := start(t, "http", func(w *worker.Worker) {
		w.Protocol.(*http.Protocol).AccessLog = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			if req.Path() == "/missing" {
				_ = c.Send(http.NewResponse(404, nil, "no"))
				return
			}
			_ = c.Send("hello")
		}
	})
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	_, _ = io.ReadAll(conn)
	mu.Lock()
	defer mu.Unlock()
	var recs []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		recs = append(recs, m)
	}
	require.Len(t, recs, 2)
	assert.Equal(t, "GET", recs[0]["method"])
	assert.Equal(t, "/a?x=1", recs[0]["target"])
	assert.EqualValues(t, 200, recs[0]["status"])
	assert.EqualValues(t, 5, recs[0]["bytes"])
	assert.Equal(t, conn.LocalAddr().String(), recs[0]["remote"])
	assert.Equal(t, "/missing", recs[1]["target"])
	assert.EqualValues(t, 404, recs[1]["status"])
}
