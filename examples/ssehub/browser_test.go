package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/browsertest"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// crossPage is served from one origin and uses the hub on another, as the
// seed's `new EventSource('http://127.0.0.1:8080')` does from a page
// elsewhere. It subscribes, POSTs a message as JSON (which browsers
// preflight), waits for it as an event, then fetches the stream with a
// Last-Event-ID that is not CORS-safelisted, and records everything in
// window.__cross for tests/browser/crossorigin.mjs.
const crossPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cross-origin page</title></head>
<body><p>A page of another origin using the SSE hub.</p>
<script>
const hub = new URLSearchParams(location.search).get('hub');
const r = window.__cross = {origin: location.origin, hub: hub, opened: null, opens: 0, errors: 0,
  readyState: null, events: [], post: null, resume: null, done: false};
const es = new EventSource(hub + '/events');
es.addEventListener('chat', (e) => {
  r.events.push({type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin});
});
const opened = new Promise((resolve) => {
  es.onopen = () => { r.opens++; resolve(true); };
  es.onerror = () => {
    r.errors++;
    r.readyState = es.readyState;
    if (es.readyState === EventSource.CLOSED) resolve(false);
  };
});
async function attempt(fn) {
  try { return await fn(); } catch (e) { return {error: String(e)}; }
}
(async () => {
  r.opened = await opened;
  r.post = await attempt(async () => {
    const resp = await fetch(hub + '/messages', {method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({message: 'hello from ' + location.origin})});
    return {status: resp.status, body: await resp.text()};
  });
  for (let i = 0; r.opened && r.events.length === 0 && i < 100; i++) {
    await new Promise((res) => setTimeout(res, 50));
  }
  r.resume = await attempt(async () => {
    const ctl = new AbortController();
    const resp = await fetch(hub + '/events', {headers: {'Last-Event-ID': '{0}'}, signal: ctl.signal});
    const out = {status: resp.status, type: resp.headers.get('content-type')};
    ctl.abort();
    return out;
  });
  r.readyState = es.readyState;
  es.close();
  r.done = true;
})();
</script></body></html>
`

// startPageOrigin serves crossPage on a free port: the page's origin,
// which is not the hub's.
func startPageOrigin(t *testing.T) string {
	t.Helper()
	w, err := worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/html; charset=utf-8"}, crossPage))
	}
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return "http://" + w.Addr().String()
}

// crossResult is what tests/browser/crossorigin.mjs prints.
type crossResult struct {
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
	Status    int    `json:"status"`
	UserAgent string `json:"userAgent"`
	Page      *struct {
		Origin     string `json:"origin"`
		Opened     bool   `json:"opened"`
		Opens      int    `json:"opens"`
		Errors     int    `json:"errors"`
		ReadyState int    `json:"readyState"`
		Events     []struct {
			Type        string `json:"type"`
			Data        string `json:"data"`
			LastEventID string `json:"lastEventId"`
			Origin      string `json:"origin"`
		} `json:"events"`
		Post   fetchResult `json:"post"`
		Resume fetchResult `json:"resume"`
	} `json:"page"`
	Console []string `json:"console"`
}

type fetchResult struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Type   string `json:"type"`
	Error  string `json:"error"`
}

// runCrossOrigin opens the page of pageOrigin pointed at hub in Chromium.
func runCrossOrigin(t *testing.T, env browsertest.Env, pageOrigin, hub string) crossResult {
	t.Helper()
	start := time.Now()
	out, errOut, runErr := env.Run(t, "crossorigin.mjs", 40*time.Second, pageOrigin+"/?hub="+url.QueryEscape(hub))
	t.Logf("browser run took %v", time.Since(start).Round(time.Millisecond))
	var res crossResult
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		t.Fatalf("crossorigin.mjs printed no JSON result (%v, run: %v)\nstdout: %s\nstderr: %s", err, runErr, out, errOut)
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		t.Fatalf("running crossorigin.mjs: %v", runErr)
	}
	require.NoErrorf(t, runErr, "crossorigin.mjs failed: %s\nresult: %s\nstderr: %s", res.Error, out, errOut)
	require.True(t, res.OK, "page did not finish: %s", res.Error)
	require.NotNil(t, res.Page)
	t.Logf("%s: %s", res.UserAgent, out)
	return res
}

// blockedByCORS reports whether Chromium logged a CORS refusal.
func blockedByCORS(console []string) bool {
	for _, line := range console {
		if strings.Contains(line, "blocked by CORS policy") {
			return true
		}
	}
	return false
}

// TestBrowserCrossOrigin: a page on one origin subscribes with EventSource
// to the hub on another (127.0.0.1, another port), posts a message and
// receives it as an event, when the example runs with -allow-origin set to
// the page's origin; without it Chromium refuses the stream and the post.
func TestBrowserCrossOrigin(t *testing.T) {
	env := browsertest.Require(t)
	page := startPageOrigin(t)

	t.Run("allowed", func(t *testing.T) {
		hub := startCORS(t, page)
		res := runCrossOrigin(t, env, page, hub)
		p := res.Page
		assert.Equal(t, 200, res.Status)
		assert.Equal(t, page, p.Origin)
		assert.True(t, p.Opened, "the event stream opened")
		assert.Equal(t, 1, p.Opens)
		assert.Equal(t, 202, p.Post.Status, "the preflighted JSON POST: %+v", p.Post)
		assert.NotEmpty(t, p.Post.Body, "its reply (the event id) is readable")
		require.NotEmpty(t, p.Events, "the posted message came back as an event")
		assert.Equal(t, "chat", p.Events[0].Type)
		assert.Equal(t, "hello from "+page, p.Events[0].Data)
		assert.Equal(t, p.Post.Body, p.Events[0].LastEventID)
		assert.Equal(t, hub, p.Events[0].Origin, "events come from the hub's origin")
		assert.Equal(t, 200, p.Resume.Status, "Last-Event-ID passes CORS: %+v", p.Resume)
		assert.Equal(t, "text/event-stream", p.Resume.Type)
		assert.Equal(t, 1, p.ReadyState, "still open")
		assert.False(t, blockedByCORS(res.Console), "console: %q", res.Console)
	})

	t.Run("refused without -allow-origin", func(t *testing.T) {
		hub := startCORS(t)
		res := runCrossOrigin(t, env, page, hub)
		p := res.Page
		assert.False(t, p.Opened, "the event stream must not open")
		assert.Equal(t, 0, p.Opens)
		assert.GreaterOrEqual(t, p.Errors, 1)
		assert.Equal(t, 2, p.ReadyState, "a CORS failure closes the EventSource for good")
		assert.Empty(t, p.Events)
		assert.Contains(t, p.Post.Error, "Failed to fetch", "the preflight is not answered")
		assert.NotEmpty(t, p.Resume.Error)
		assert.True(t, blockedByCORS(res.Console), "Chromium says why: %q", res.Console)
		assert.True(t, slices.ContainsFunc(res.Console, func(line string) bool {
			return strings.Contains(line, "fetch at '"+hub+"/events'") && strings.Contains(line, "preflight")
		}), "a Last-Event-ID that is not CORS-safelisted is preflighted (answered in the allowed run): %q", res.Console)
	})
}
