package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/sessiontest"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

func TestSessionIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := http.NewSessionID()
		require.Len(t, id, 64)
		require.True(t, http.ValidSessionID(id), id)
		require.False(t, seen[id])
		seen[id] = true
	}
	for _, bad := range []string{"", "../x", strings.Repeat("a", 63), strings.Repeat("a", 65),
		strings.Repeat("A", 64), strings.Repeat("g", 64), strings.Repeat("a", 63) + "/", strings.Repeat("a", 63) + "\x00"} {
		assert.False(t, http.ValidSessionID(bad), "%q", bad)
	}
}

func TestSessionMemoryHandler(t *testing.T) {
	timers := systimer.Len()
	h := http.NewMemorySessionHandler(0)
	sessiontest.Handler(t, h)
	require.NoError(t, h.Close())
	assert.Equal(t, timers, systimer.Len(), "no timer outlives the handler")
	_, err := h.Read(context.Background(), http.NewSessionID(), time.Minute)
	assert.ErrorIs(t, err, http.ErrSessionManagerClosed)
}

func TestSessionMemoryHandlerBound(t *testing.T) {
	h := http.NewMemorySessionHandler(2)
	defer h.Close()
	ctx := context.Background()
	set := http.SessionChanges{Set: map[string][]byte{"k": []byte("v")}}
	require.NoError(t, h.Write(ctx, http.NewSessionID(), set, time.Minute))
	id := http.NewSessionID()
	require.NoError(t, h.Write(ctx, id, set, time.Minute))
	assert.ErrorIs(t, h.Write(ctx, http.NewSessionID(), set, time.Minute), http.ErrSessionStoreFull)
	require.NoError(t, h.Write(ctx, id, set, time.Minute), "a known session may still change")
	require.NoError(t, h.Destroy(ctx, id))
	require.NoError(t, h.Write(ctx, http.NewSessionID(), set, time.Minute), "room again")
	assert.Equal(t, 2, h.Len())
}

func memoryManager(t *testing.T) *http.SessionManager {
	return sessiontest.NewManager(t, http.SessionConfig{})
}

func TestSessionServerMemory(t *testing.T) {
	sessiontest.Server(t, memoryManager)
}

func TestSessionSecureOverTLS(t *testing.T) {
	sessiontest.Secure(t, memoryManager(t))
}

func TestSessionConfig(t *testing.T) {
	for _, cfg := range []http.SessionConfig{
		{Name: "bad name"},
		{Name: "a;b"},
		{SameSite: "None"},
		{SameSite: "sometimes"},
		{Path: "/a;b"},
		{Domain: "x\r\ny"},
		{Lifetime: -time.Second},
	} {
		_, err := http.NewSessionManager(cfg)
		assert.Error(t, err, "%+v", cfg)
	}

	m := sessiontest.NewManager(t, http.SessionConfig{
		Name: "sid", Path: "/app", Domain: "example.test", CookieLifetime: -1,
		Secure: true, NoHTTPOnly: true, SameSite: "none",
	})
	base := sessiontest.StartWorker(t, m, &sessiontest.App{}, nil)
	c := sessiontest.NewClient(t, "sid", nil)
	_, sc := c.Get(base, "/incr")
	assert.Regexp(t, `^sid=[0-9a-f]{64}; Domain=example.test; Path=/app; SameSite=None; Secure$`, sc)

	m = sessiontest.NewManager(t, http.SessionConfig{Lifetime: time.Hour, CookieLifetime: 90 * time.Second, SameSite: "strict"})
	base = sessiontest.StartWorker(t, m, &sessiontest.App{}, nil)
	c = sessiontest.NewClient(t, http.DefaultSessionName, nil)
	_, sc = c.Get(base, "/incr")
	assert.Regexp(t, `^PHPSID=[0-9a-f]{64}; Max-Age=90; Path=/; HttpOnly; SameSite=Strict$`, sc)
}

func TestSessionsDisabled(t *testing.T) {
	errs := make(chan error, 2)
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		_, err := req.Session()
		errs <- err
		req.LoadSession(func(_ *http.Session, err error) { errs <- err })
		_ = c.Send("x")
	}, nil)
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	readResponse(t, bufio.NewReader(conn), "GET")
	assert.ErrorIs(t, <-errs, http.ErrSessionsDisabled)
	assert.ErrorIs(t, <-errs, http.ErrSessionsDisabled)
}

func TestSessionRefusals(t *testing.T) {
	m := sessiontest.NewManager(t, http.SessionConfig{MaxSize: 100})
	type outcome struct {
		s    *http.Session
		errs []error
	}
	done := make(chan outcome, 1)
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		s, err := req.Session()
		if err != nil {
			panic(err)
		}
		errs := []error{
			s.Set("f", func() {}),
			s.Set("big", strings.Repeat("x", 200)),
			s.Set("small", "y"),
			s.Put(map[string]any{"a": 1, "ch": make(chan int)}),
		}
		_ = c.Send(http.NewResponse(200, nil, "ok"))
		done <- outcome{s, errs}
	}, func(w *worker.Worker) { httpProto(w).Sessions = m })
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, _ := readResponse(t, bufio.NewReader(conn), "GET")
	assert.Contains(t, resp.Header.Get("Set-Cookie"), "PHPSID=")
	o := <-done
	kept, errs := o.s, o.errs
	assert.ErrorIs(t, errs[0], http.ErrSessionValue)
	assert.ErrorIs(t, errs[1], http.ErrSessionTooLarge)
	assert.NoError(t, errs[2])
	assert.ErrorIs(t, errs[3], http.ErrSessionValue)
	assert.False(t, kept.Exists("a"), "Put sets all or nothing")
	assert.Equal(t, "y", kept.Get("small"))
	assert.ErrorIs(t, kept.Set("late", 1), http.ErrSessionSaved, "after the response")
	assert.ErrorIs(t, kept.Flush(), http.ErrSessionSaved)
	var saveErr error
	kept.Save(func(err error) { saveErr = err })
	assert.ErrorIs(t, saveErr, http.ErrSessionSaved)
	_, err = kept.RegenerateID()
	assert.ErrorIs(t, err, http.ErrSessionSaved)
}

// A prebuilt Response, whose encoding is cached after its second use,
// carries each new session's own cookie, and only to that session.
func TestSessionCookieOnPrebuiltResponse(t *testing.T) {
	m := memoryManager(t)
	hello := http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, "hello")
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/session" {
			_, _ = req.Session()
		}
		_ = c.Send(hello)
	}, func(w *worker.Worker) { httpProto(w).Sessions = m })
	conn := dial(t, addr)
	br := bufio.NewReader(conn)
	ids := map[string]bool{}
	for i, path := range []string{"/session", "/", "/session", "/session", "/", "/session"} {
		_, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		require.NoError(t, err)
		resp, body := readResponse(t, br, "GET")
		assert.Equal(t, "hello", body)
		sc := resp.Header.Get("Set-Cookie")
		if path == "/" {
			assert.Empty(t, sc, "request %d", i)
			continue
		}
		require.NotEmpty(t, sc, "request %d", i)
		ids[sc] = true
	}
	assert.Len(t, ids, 4, "a cookie of its own each time")
}

// gatedHandler is a blocking handler (it is no NonBlockingSessionHandler)
// whose writes wait for its gate and record the values of "n" in order.
type gatedHandler struct {
	mem  *http.MemorySessionHandler
	gate chan struct{}

	mu     sync.Mutex
	writes []any
}

func (g *gatedHandler) Read(ctx context.Context, id string, life time.Duration) (map[string][]byte, error) {
	return g.mem.Read(ctx, id, life)
}

func (g *gatedHandler) Write(ctx context.Context, id string, ch http.SessionChanges, life time.Duration) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	if b, ok := ch.Set["n"]; ok {
		var v any
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
			return err
		}
		g.mu.Lock()
		g.writes = append(g.writes, v)
		g.mu.Unlock()
	}
	return g.mem.Write(ctx, id, ch, life)
}

func (g *gatedHandler) Destroy(ctx context.Context, id string) error { return g.mem.Destroy(ctx, id) }

func (g *gatedHandler) GC(ctx context.Context, life time.Duration) error { return g.mem.GC(ctx, life) }

func (g *gatedHandler) written() []any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]any(nil), g.writes...)
}

// Saves through a handler that does I/O never hold up the event loop,
// keep their order per session, and a load sees the saves still queued.
func TestSessionSavesOffTheLoop(t *testing.T) {
	g := &gatedHandler{mem: http.NewMemorySessionHandler(0), gate: make(chan struct{})}
	defer g.mem.Close()
	m := sessiontest.NewManager(t, http.SessionConfig{Handler: g, Workers: 2})
	base := sessiontest.StartWorker(t, m, &sessiontest.App{}, nil)
	c := sessiontest.NewClient(t, http.DefaultSessionName, nil)
	var want []any
	for n := 1; n <= 10; n++ {
		q := ""
		if n%2 == 0 {
			q = "async=1"
		}
		body, _ := c.Get(base, "/incr?"+q)
		require.Equal(t, fmt.Sprint(n), body, "counts with every save still queued")
		want = append(want, n)
	}
	assert.Empty(t, g.written(), "nothing written yet: the loop never waited")
	close(g.gate)
	require.Eventually(t, func() bool { return len(g.written()) == 10 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, want, g.written(), "saves of one session in order")
}

// A full queue: the save is dropped, counted and logged, never waited for.
func TestSessionQueueFull(t *testing.T) {
	g := &gatedHandler{mem: http.NewMemorySessionHandler(0), gate: make(chan struct{})}
	defer g.mem.Close()
	m := sessiontest.NewManager(t, http.SessionConfig{Handler: g, Workers: 1, QueueSize: 1})
	t.Cleanup(func() { close(g.gate) }) // before the manager closes
	base := sessiontest.StartWorker(t, m, &sessiontest.App{}, nil)
	c := sessiontest.NewClient(t, http.DefaultSessionName, nil)
	for range 4 {
		_, _ = c.Get(base, "/incr")
	}
	// One save waits in Write, one in the queue: the others are dropped.
	assert.GreaterOrEqual(t, m.Dropped(), int64(2))
	assert.LessOrEqual(t, m.Dropped(), int64(3))
	// Loads have their own goroutines: not stuck behind the saves.
	status, body, _ := c.Do(base, "/incr?async=1")
	assert.Equal(t, 200, status, body)
}

func TestSessionManagerCloseLeavesNothing(t *testing.T) {
	before := leaktest.Goroutines()
	timers := systimer.Len()
	m, err := http.NewSessionManager(http.SessionConfig{Handler: &gatedHandler{mem: http.NewMemorySessionHandler(0)}, GCInterval: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close(), "twice")
	m, err = http.NewSessionManager(http.SessionConfig{})
	require.NoError(t, err)
	h := http.NewMemorySessionHandler(0)
	require.NoError(t, h.Write(context.Background(), http.NewSessionID(), http.SessionChanges{Set: map[string][]byte{"a": nil}}, time.Hour))
	require.NoError(t, h.Close())
	require.NoError(t, m.Close())
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Equal(t, timers, systimer.Len())
}

// A session lives Lifetime after its last change; with Touch, after its
// last request. Margins are several times the lifetime.
func TestSessionExpiry(t *testing.T) {
	const life = 400 * time.Millisecond
	for _, touch := range []bool{false, true} {
		t.Run(fmt.Sprint("touch=", touch), func(t *testing.T) {
			h := http.NewMemorySessionHandler(0)
			t.Cleanup(func() { _ = h.Close() })
			m := sessiontest.NewManager(t, http.SessionConfig{Handler: h, Lifetime: life, Touch: touch})
			base := sessiontest.StartWorker(t, m, &sessiontest.App{}, nil)
			c := sessiontest.NewClient(t, http.DefaultSessionName, nil)
			body, sc := c.Get(base, "/incr")
			require.Equal(t, "1", body)
			assert.Contains(t, sc, "; Max-Age=1;", "rounded up to a second")
			for range 8 { // 1.6 s of reads, each within the lifetime of the last
				time.Sleep(life / 2)
				_, _ = c.Get(base, "/get?k=n")
			}
			body, _ = c.Get(base, "/get?k=n")
			if touch {
				assert.Equal(t, "int:1", body, "kept alive by its reads")
			} else {
				assert.Equal(t, "<nil>:<nil>", body, "expired after its last change")
			}
			time.Sleep(4 * life)
			body, _ = c.Get(base, "/get?k=n")
			assert.Equal(t, "<nil>:<nil>", body, "expired")
			assert.Eventually(t, func() bool { return h.Len() == 0 }, 2*time.Second, 10*time.Millisecond,
				"the wheel removed it")
		})
	}
}

// A request whose connection closes before it is answered still saves
// its session, as workerman's destructor does.
func TestSessionSavedWhenTheClientLeaves(t *testing.T) {
	m := memoryManager(t)
	ids := make(chan string, 1)
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		s, err := req.Session()
		if err != nil {
			panic(err)
		}
		if req.Path() == "/leave" {
			_ = s.Set("k", "kept")
			ids <- s.ID()
			return // never answered
		}
		_ = c.Send(fmt.Sprint(s.Get("k")))
	}, func(w *worker.Worker) { httpProto(w).Sessions = m })
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET /leave HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	id := <-ids
	require.NoError(t, conn.Close())
	assert.Eventually(t, func() bool {
		conn := dial(t, addr)
		_, err := fmt.Fprintf(conn, "GET /get HTTP/1.1\r\nHost: x\r\nCookie: PHPSID=%s\r\n\r\n", id)
		require.NoError(t, err)
		_, body := readResponse(t, bufio.NewReader(conn), "GET")
		return body == "kept"
	}, 5*time.Second, 20*time.Millisecond)
}
