package http_test

import (
	"bufio"
	"io"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// stopAsync stops w on its own goroutine; the channel closes when Stop
// has returned.
func stopAsync(w *worker.Worker) <-chan struct{} {
	done := make(chan struct{})
	go func() { _ = w.Stop(); close(done) }()
	return done
}

// TestStopFinishesRequestsInProgress: on Stop (SIGTERM), a request whose
// body is still arriving is finished within StopTimeout and answered with
// "Connection: close"; idle keep-alive connections close at once; streams
// end cleanly.
func TestStopFinishesRequestsInProgress(t *testing.T) {
	long := func(w *worker.Worker) { w.StopTimeout = 20 * time.Second }

	t.Run("half-received body", func(t *testing.T) {
		w, addr := startServer(t, respondPath, long)
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf-")
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		stopped := stopAsync(w)
		time.Sleep(200 * time.Millisecond)
		_, err = io.WriteString(conn, "done!")
		require.NoError(t, err, "the connection is still open for the rest of the body")
		resp, body := readResponse(t, bufio.NewReader(conn), "POST")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "/upload", body)
		assert.True(t, resp.Close, "the answer says the connection closes")
		assert.True(t, waitClosed(conn, 5*time.Second))
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("Stop did not return once the request was answered")
		}
	})

	t.Run("idle keep-alive connections close at once", func(t *testing.T) {
		w, addr := startServer(t, respondPath, long)
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		resp, _ := readResponse(t, bufio.NewReader(conn), "GET")
		require.Equal(t, 200, resp.StatusCode)
		silent := dial(t, addr) // accepted, nothing sent
		_ = silent
		stopped := stopAsync(w)
		assert.True(t, waitClosed(conn, 5*time.Second), "an idle connection does not wait for StopTimeout")
		assert.True(t, waitClosed(silent, 5*time.Second))
		select {
		case <-stopped:
		case <-time.After(10 * time.Second): // half of StopTimeout
			t.Fatal("Stop waited for idle connections")
		}
	})

	t.Run("streams end cleanly", func(t *testing.T) {
		w, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
			switch req.Path() {
			case "/events":
				_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, ""))
				_ = c.Send(http.ServerSentEvents{Data: "one"})
			case "/chunked":
				_ = c.Send(http.NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, ""))
				_ = c.Send(http.NewChunkString("part"))
			}
		}, long)
		events := dial(t, addr)
		_, err := io.WriteString(events, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		chunked := dial(t, addr)
		_, err = io.WriteString(chunked, "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		ebr, cbr := bufio.NewReader(events), bufio.NewReader(chunked)
		eresp, err := nethttp.ReadResponse(ebr, &nethttp.Request{Method: "GET"})
		require.NoError(t, err)
		cresp, err := nethttp.ReadResponse(cbr, &nethttp.Request{Method: "GET"})
		require.NoError(t, err)
		stopped := stopAsync(w)
		ebody, err := io.ReadAll(eresp.Body)
		require.NoError(t, err, "the event stream ends with the connection")
		assert.Equal(t, "data: one\n\n", string(ebody))
		cbody, err := io.ReadAll(cresp.Body)
		require.NoError(t, err, "the chunked stream ends with its last chunk, not cut")
		assert.Equal(t, "part", string(cbody))
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("Stop waited for streams")
		}
	})
}
