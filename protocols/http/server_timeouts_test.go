package http_test

import (
	"bufio"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/timer"
	"github.com/gnetworker/gnetworker/worker"
)

// The timeout tests allow ten times the timeout (or more) for a cut, and
// keep what must survive ten times inside its limit: CI machines are
// shared and busy, and a test must not depend on the machine being idle.

// sseOrPath serves /events as an event stream whose one event comes after
// four of the short timeouts, and everything else with respondPath.
func sseOrPath(after time.Duration) handler {
	return func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() != "/events" {
			respondPath(c, req)
			return
		}
		_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, ""))
		go func() {
			time.Sleep(after)
			_ = c.Send(http.ServerSentEvents{Data: "late"})
		}()
	}
}

// closedWhileTrickling sends pieces one at a time, pause apart, and
// reports whether the server closed conn before they were all sent.
func closedWhileTrickling(conn net.Conn, pieces []string, pause time.Duration) bool {
	for _, p := range pieces {
		if _, err := io.WriteString(conn, p); err != nil {
			return true
		}
		if waitClosed(conn, pause) {
			return true
		}
	}
	return false
}

// TestServerCutsSlowClients: every way of holding a connection without
// completing a request ends within its timeout.
func TestServerCutsSlowClients(t *testing.T) {
	const short = 300 * time.Millisecond
	const cut = 10 * short
	_, addr := startServer(t, sseOrPath(4*short), func(w *worker.Worker) {
		p := httpProto(w)
		p.HeaderTimeout = short
		p.IdleTimeout = short
		p.BodyTimeout = short
	})

	t.Run("silent connection", func(t *testing.T) {
		conn := dial(t, addr)
		start := time.Now()
		assert.True(t, waitClosed(conn, cut), "a connection that never sends must be closed")
		assert.Greater(t, time.Since(start), short/2, "not before its timeout")
	})

	t.Run("empty lines count as silence", func(t *testing.T) {
		pieces := make([]string, int(cut/(short/3)))
		for i := range pieces {
			pieces[i] = "\r\n"
		}
		assert.True(t, closedWhileTrickling(dial(t, addr), pieces, short/3),
			"CRLF every third of the timeout must not keep a connection")
	})

	t.Run("half a head", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n")
		require.NoError(t, err)
		assert.True(t, waitClosed(conn, cut), "slow head must be cut off")
	})

	t.Run("trickled head (slowloris)", func(t *testing.T) {
		head := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("z", 200)
		assert.True(t, closedWhileTrickling(dial(t, addr), strings.Split(head, ""), short/6),
			"the head's deadline must not move with each byte")
	})

	t.Run("stalled body", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf")
		require.NoError(t, err)
		assert.True(t, waitClosed(conn, cut), "stalled body must be cut off")
	})

	t.Run("event stream is not idle", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		resp, err := nethttp.ReadResponse(br, &nethttp.Request{Method: "GET"})
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "data: late\n", line, "the event comes after four idle timeouts")
	})
}

// TestServerBodyMinRate: a body whose every byte arrives well within the
// idle timeout is still cut when it comes slower than BodyMinRate, as
// mod_reqtimeout's body=...,MinRate=... does.
func TestServerBodyMinRate(t *testing.T) {
	_, addr := startServer(t, respondPath, func(w *worker.Worker) {
		p := httpProto(w)
		p.IdleTimeout = 10 * time.Second // never the reason here
		p.BodyTimeout = 300 * time.Millisecond
		p.BodyMinRate = 100 // each byte buys 10 ms; they come every 60 ms
	})
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	require.NoError(t, err)
	start := time.Now()
	closed := closedWhileTrickling(conn, strings.Split(strings.Repeat("b", 100), ""), 60*time.Millisecond) // 6 s at most
	assert.True(t, closed, "a body at 16 bytes/s must be cut with a minimum rate of 100")
	assert.Greater(t, time.Since(start), 200*time.Millisecond, "not before BodyTimeout")
}

// TestServerPatientClientsAreServed: what stays inside the limits, with a
// margin of ten, is served.
func TestServerPatientClientsAreServed(t *testing.T) {
	_, addr := startServer(t, respondPath, func(w *worker.Worker) {
		p := httpProto(w)
		p.HeaderTimeout = 2 * time.Second
		p.IdleTimeout = time.Second
		p.BodyTimeout = 2 * time.Second
	})

	t.Run("trickled body", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
		require.NoError(t, err)
		for _, b := range []string{"a", "b", "c", "d"} {
			time.Sleep(50 * time.Millisecond)
			_, err := io.WriteString(conn, b)
			require.NoError(t, err)
		}
		resp, body := readResponse(t, bufio.NewReader(conn), "POST")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "/slow", body)
	})

	t.Run("steady requests keep it open past the idle timeout", func(t *testing.T) {
		conn := dial(t, addr)
		br := bufio.NewReader(conn)
		for range 8 { // 2 s in all: twice the idle timeout
			_, err := io.WriteString(conn, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
			resp, _ := readResponse(t, br, "GET")
			require.Equal(t, 200, resp.StatusCode)
			time.Sleep(250 * time.Millisecond)
		}
	})

	t.Run("idle keep-alive connection closes", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		resp, _ := readResponse(t, bufio.NewReader(conn), "GET")
		require.Equal(t, 200, resp.StatusCode)
		start := time.Now()
		assert.True(t, waitClosed(conn, 10*time.Second), "idle connection must close")
		assert.Greater(t, time.Since(start), 500*time.Millisecond, "not before its timeout")
	})
}

// The framework's deadlines run on a wheel of their own: an application
// timer that blocks (on a database, say) must not hold back a single
// timeout, or slowloris protection would stop with it.
func TestServerTimeoutsIgnoreBlockedUserTimers(t *testing.T) {
	_, addr := startServer(t, respondPath, func(w *worker.Worker) {
		httpProto(w).HeaderTimeout = 200 * time.Millisecond
	})
	release := make(chan struct{})
	defer close(release)
	blocked := make(chan struct{})
	_, err := timer.Once(time.Millisecond, func(timer.ID) {
		close(blocked)
		select {
		case <-release:
		case <-time.After(20 * time.Second):
		}
	})
	require.NoError(t, err)
	<-blocked // the application's wheel is stuck from here on
	conn := dial(t, addr)
	assert.True(t, waitClosed(conn, 5*time.Second), "the header timeout fires while a user timer blocks")
}
