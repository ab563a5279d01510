package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/browsertest"
	"github.com/gnetworker/gnetworker/timer"
)

// wantEvent is what the example pushes every 2 seconds, byte for byte.
const wantEvent = "event: message\nid: 1\ndata: hello\n\n"

// startSSE starts the example's worker on a free loopback port and stops it
// when the test ends.
func startSSE(t *testing.T) string {
	t.Helper()
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w.Addr().String()
}

// waitTimerLen waits up to d for timer.Len() to be want and reports the last
// value seen. The example's timer checks the connection every 2 seconds, so
// a timer of a closed connection is gone within about 2 s.
func waitTimerLen(want int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		n := timer.Len()
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEventStreamClient is the seed's SSE exchange without a browser: the
// response head, the exact bytes of two events, a plain request answered
// "ok", and the timer deleting itself once the client is gone.
func TestEventStreamClient(t *testing.T) {
	before := timer.Len()
	addr := startSSE(t)

	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(6*time.Second)))
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nAccept: text/event-stream\r\n\r\n")
	require.NoError(t, err)

	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.NotContains(t, resp.Header, "Content-Length", "an event stream is delimited by the connection closing")
	assert.Equal(t, int64(-1), resp.ContentLength)
	assert.Empty(t, resp.TransferEncoding, "events must not be chunk-framed")

	// Two events, 2 s apart, and nothing else before or between them.
	got := make([]byte, 2*len(wantEvent))
	start := time.Now()
	_, err = io.ReadFull(resp.Body, got)
	require.NoError(t, err, "two events within 6 s")
	assert.Equal(t, wantEvent+wantEvent, string(got))
	assert.GreaterOrEqual(t, time.Since(start), 3*time.Second, "events come every 2 s")
	assert.Equal(t, before+1, timer.Len(), "one timer per event-stream connection")

	// Any other request gets "ok".
	client := &http.Client{Timeout: 3 * time.Second}
	r, err := client.Get("http://" + addr + "/x")
	require.NoError(t, err)
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, "ok", string(body))
	client.CloseIdleConnections()

	// Once the client is gone the example's timer deletes itself.
	require.NoError(t, conn.Close())
	assert.Equal(t, before, waitTimerLen(before, 5*time.Second),
		"the event-stream timer must delete itself after the client disconnects")
}

// browserEvent is one event as the page's EventSource saw it.
type browserEvent struct {
	Type        string `json:"type"`
	Data        string `json:"data"`
	LastEventID string `json:"lastEventId"`
	Origin      string `json:"origin"`
	AtMs        int    `json:"atMs"`
}

// browserResult is what tests/browser/eventsource.mjs prints.
type browserResult struct {
	OK         bool           `json:"ok"`
	Error      string         `json:"error"`
	Status     int            `json:"status"`
	UserAgent  string         `json:"userAgent"`
	Events     []browserEvent `json:"events"`
	Opens      int            `json:"opens"`
	Errors     int            `json:"errors"`
	PageLog    []string       `json:"pageLog"`
	PageStatus string         `json:"pageStatus"`
	Console    []string       `json:"console"`
	Screenshot string         `json:"screenshot"`
	ElapsedMs  int            `json:"elapsedMs"`
	Connection struct {
		NextHopProtocol string `json:"nextHopProtocol"`
		TLS             *struct {
			Protocol    string `json:"protocol"`
			SubjectName string `json:"subjectName"`
			Issuer      string `json:"issuer"`
		} `json:"tls"`
	} `json:"connection"`
}

// runEventSource runs tests/browser/eventsource.mjs on url and returns its
// result, failing t unless it is ok. The page's screenshot goes to a temp
// dir, or where SSE_SCREENSHOT says (to keep it for a look:
// SSE_SCREENSHOT=/tmp/sse.png go test -run Browser).
func runEventSource(t *testing.T, env browsertest.Env, url string) browserResult {
	t.Helper()
	shot := os.Getenv("SSE_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "sse-page.png")
	}
	start := time.Now()
	out, errOut, runErr := env.Run(t, "eventsource.mjs", 40*time.Second, url, shot)
	t.Logf("browser run took %v", time.Since(start).Round(time.Millisecond))
	stdout, stderr := bytes.NewBuffer(out), bytes.NewBuffer(errOut)

	var res browserResult
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("eventsource.mjs printed no JSON result (%v, run: %v)\nstdout: %s\nstderr: %s", err, runErr, stdout.String(), stderr.String())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		t.Fatalf("running eventsource.mjs: %v", runErr)
	}
	require.NoErrorf(t, runErr, "eventsource.mjs failed: %s\nresult: %s\nstderr: %s", res.Error, stdout.String(), stderr.String())
	require.True(t, res.OK, "result not ok: %s", res.Error)
	t.Logf("%s: %d events, page log %q, screenshot %s", res.UserAgent, len(res.Events), res.PageLog, res.Screenshot)
	return res
}

// assertSeedEvents checks what the page at url saw: the page itself, the
// seed's events (type "message", data "hello", id "1", from the page's
// origin) on one open stream, and the page's own client logging them.
func assertSeedEvents(t *testing.T, res browserResult, url string) {
	t.Helper()
	assert.Equal(t, 200, res.Status, "the page")
	require.GreaterOrEqual(t, len(res.Events), 2, "at least two events")
	origin := strings.TrimSuffix(url, "/")
	for i, e := range res.Events {
		assert.Equal(t, "message", e.Type, "event %d type", i)
		assert.Equal(t, "hello", e.Data, "event %d data", i)
		assert.Equal(t, "1", e.LastEventID, "event %d lastEventId", i)
		assert.Equal(t, origin, e.Origin, "event %d origin", i)
	}
	assert.Equal(t, 1, res.Opens, "one open, no reconnect")
	assert.Equal(t, 0, res.Errors, "no EventSource error")
	// The served page's own seed client received them too.
	assert.GreaterOrEqual(t, len(res.PageLog), 2, "the page's own log")
	assert.Equal(t, "open", res.PageStatus)
	assert.Contains(t, res.Console, "log: hello", "the seed's console.log(data)")
}

// TestBrowserEventSource opens the example's page in a real (headless)
// Chromium, from the server's own origin, and checks that an EventSource
// there receives the seed's events: type "message", data "hello", id "1".
func TestBrowserEventSource(t *testing.T) {
	env := browsertest.Require(t)

	before := timer.Len()
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, w.Start())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = w.Stop()
		}
	}
	defer stop()
	url := "http://" + w.Addr().String() + "/"

	res := runEventSource(t, env, url)
	assertSeedEvents(t, res, url)
	assert.Nil(t, res.Connection.TLS, "plain HTTP")
	assert.Equal(t, "http/1.1", res.Connection.NextHopProtocol)

	// The browser is gone: stopping closes any connection left, and every
	// timer of an event stream deletes itself at its next check.
	stop()
	assert.Equal(t, before, waitTimerLen(before, 5*time.Second), "event-stream timers left after the browser closed")
}
