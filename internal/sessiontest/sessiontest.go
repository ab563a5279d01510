// Package sessiontest holds the tests every http.SessionHandler must pass,
// on its own (Handler) and behind http workers (Server, Shared), so that
// the memory, file and Redis handlers are held to the same rules.
package sessiontest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// Handler runs the contract of SessionHandler against h: reads of what
// was written, per-key merging of concurrent writes, destroy, expiry
// after lifetime (short: margins of several times it) and gc.
func Handler(t *testing.T, h http.SessionHandler) {
	ctx := context.Background()
	const life = time.Minute
	id := http.NewSessionID()

	got, err := h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Empty(t, got, "unknown session")

	require.NoError(t, h.Write(ctx, id, http.SessionChanges{Set: map[string][]byte{"a": []byte("1"), "b": []byte("2")}}, life))
	got, err = h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"a": []byte("1"), "b": []byte("2")}, got)

	require.NoError(t, h.Write(ctx, id, http.SessionChanges{Set: map[string][]byte{"c": []byte("3")}, Delete: []string{"a"}}, life))
	got, err = h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"b": []byte("2"), "c": []byte("3")}, got, "a write changes only its keys")

	require.NoError(t, h.Write(ctx, id, http.SessionChanges{Clear: true, Set: map[string][]byte{"d": []byte("4")}}, life))
	got, err = h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"d": []byte("4")}, got, "Clear first")

	// Concurrent writes of one session, each of its own key: none lost.
	const writers = 16
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			k := fmt.Sprintf("k%d", i)
			assert.NoError(t, h.Write(ctx, id, http.SessionChanges{Set: map[string][]byte{k: []byte(k)}}, life))
		})
	}
	wg.Wait()
	got, err = h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Len(t, got, writers+1, "every concurrent write kept: %v", keys(got))

	require.NoError(t, h.Destroy(ctx, id))
	got, err = h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Empty(t, got, "destroyed")
	require.NoError(t, h.Destroy(ctx, id), "destroying twice")

	// Deleting the last key leaves nothing.
	require.NoError(t, h.Write(ctx, id, http.SessionChanges{Set: map[string][]byte{"x": []byte("1")}}, life))
	require.NoError(t, h.Write(ctx, id, http.SessionChanges{Delete: []string{"x"}}, life))
	got, err = h.Read(ctx, id, life)
	require.NoError(t, err)
	assert.Empty(t, got)

	// Expiry: lifetime after the last write; gc keeps what is fresh.
	const short = 300 * time.Millisecond
	old, fresh := http.NewSessionID(), http.NewSessionID()
	require.NoError(t, h.Write(ctx, old, http.SessionChanges{Set: map[string][]byte{"v": []byte("old")}}, short))
	got, err = h.Read(ctx, old, short)
	require.NoError(t, err)
	assert.NotEmpty(t, got, "not expired yet")
	time.Sleep(4 * short)
	got, err = h.Read(ctx, old, short)
	require.NoError(t, err)
	assert.Empty(t, got, "expired after its lifetime")
	require.NoError(t, h.Write(ctx, fresh, http.SessionChanges{Set: map[string][]byte{"v": []byte("fresh")}}, short))
	require.NoError(t, h.GC(ctx, short))
	got, err = h.Read(ctx, fresh, short)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"v": []byte("fresh")}, got, "gc keeps live sessions")
	require.NoError(t, h.Destroy(ctx, fresh))
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// App is the application the server tests run: each path does one thing
// with the session, through Request.Session, or through LoadSession when
// the query has async=1.
//
//	/set?k=K&v=V      sets K to the string V
//	/get?k=K          answers "%T:%v" of K's value ("<nil>:<nil>" when none)
//	/incr             adds 1 to the int "n" and answers it
//	/incrsave         the same, answered once Session.Save has written it
//	/types            sets values of many types
//	/checktypes       answers "%T" of each, sorted by key
//	/regen            regenerates the id and answers it
//	/flush            flushes
//	/wait?k=K         sets K after Gate lets it go (answered from a goroutine)
//	/id               answers the session's id
type App struct {
	// Gate, when set, is waited on by /wait before it sets its key.
	Gate chan struct{}
	// Loaded receives a value when /wait has loaded its session.
	Loaded chan struct{}
}

// OnMessage is the worker's OnMessage.
func (a *App) OnMessage(c *connection.TcpConnection, req *http.Request) {
	with := func(fn func(s *http.Session) string) {
		answer := func(s *http.Session, err error) {
			if err != nil {
				_ = c.Send(http.NewResponse(500, nil, err.Error()))
				return
			}
			if body := fn(s); body != "\x00" {
				_ = c.Send(body)
			}
		}
		if req.Get("async") == "1" {
			req.LoadSession(answer)
			return
		}
		answer(req.Session())
	}
	switch req.Path() {
	case "/set":
		// Views of the request, which Set must copy.
		with(func(s *http.Session) string { return errText(s.Set(req.Get("k"), req.Get("v"))) })
	case "/get":
		with(func(s *http.Session) string {
			v := s.Get(req.Get("k"))
			return fmt.Sprintf("%T:%v", v, v)
		})
	case "/incr":
		with(func(s *http.Session) string {
			n, _ := s.Get("n", 0).(int)
			n++
			if err := s.Set("n", n); err != nil {
				return err.Error()
			}
			return fmt.Sprint(n)
		})
	case "/incrsave": // /incr, answered once the save is written
		with(func(s *http.Session) string {
			n, _ := s.Get("n", 0).(int)
			n++
			if err := s.Set("n", n); err != nil {
				return err.Error()
			}
			s.Save(func(err error) {
				if err != nil {
					_ = c.Send(http.NewResponse(500, nil, err.Error()))
					return
				}
				_ = c.Send(fmt.Sprint(n))
			})
			return "\x00"
		})
	case "/types":
		with(func(s *http.Session) string {
			return errText(s.Put(map[string]any{
				"int": 7, "int64": int64(8), "float": 1.0, "bool": true, "string": "s",
				"strings": []string{"a", "b"}, "any": []any{1, "x", map[string]any{"y": 2.5}},
				"map": map[string]any{"k": []any{true}}, "bytes": []byte("b"), "nil": nil,
			}))
		})
	case "/checktypes":
		with(func(s *http.Session) string {
			all := s.All()
			var b strings.Builder
			for _, k := range []string{"any", "bool", "bytes", "float", "int", "int64", "map", "nil", "string", "strings"} {
				fmt.Fprintf(&b, "%s=%T %v;", k, all[k], all[k])
			}
			fmt.Fprintf(&b, "has(nil)=%v exists(nil)=%v", s.Has("nil"), s.Exists("nil"))
			return b.String()
		})
	case "/regen":
		with(func(s *http.Session) string {
			id, err := s.RegenerateID()
			if err != nil {
				return err.Error()
			}
			return id
		})
	case "/flush":
		with(func(s *http.Session) string { return errText(s.Flush()) })
	case "/pull":
		with(func(s *http.Session) string { return fmt.Sprint(s.Pull(req.Get("k"), "none")) })
	case "/id":
		with(func(s *http.Session) string { return s.ID() })
	case "/wait":
		k := strings.Clone(req.Get("k"))
		with(func(s *http.Session) string {
			a.Loaded <- struct{}{}
			go func() {
				<-a.Gate
				_ = c.Send(errText(s.Set(k, k)))
			}()
			return "\x00" // answered by the goroutine
		})
	default:
		_ = c.Send(http.NewResponse(404, nil, "no such path"))
	}
}

func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// StartWorker starts an http worker running app with m as its sessions
// (TLS when tlsConfig is set), stopped when the test ends; it returns its
// base URL.
func StartWorker(t *testing.T, m *http.SessionManager, app *App, tlsConfig *tls.Config) string {
	t.Helper()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	w, err := worker.New(scheme + "://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	w.TLSConfig = tlsConfig
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.Protocol.(*http.Protocol).Sessions = m
	w.OnMessage = app.OnMessage
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return scheme + "://" + w.Addr().String()
}

// NewManager makes a manager for cfg, closed when the test ends (after
// the workers, whose cleanups run first when they were started later).
func NewManager(t *testing.T, cfg http.SessionConfig) *http.SessionManager {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := http.NewSessionManager(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	return m
}

// Client is an HTTP client that sends one session cookie by hand, so
// tests see every Set-Cookie.
type Client struct {
	t      *testing.T
	hc     *nethttp.Client
	Name   string // the cookie's name
	Cookie string // the session id sent; "" for none
}

// NewClient returns a client for cookie name, trusting ca when not nil.
func NewClient(t *testing.T, name string, ca *testcert.CA) *Client {
	tr := &nethttp.Transport{}
	if ca != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}
	}
	hc := &nethttp.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &Client{t: t, hc: hc, Name: name}
}

// Get sends GET base+path with the cookie and returns the body and the
// response's session Set-Cookie ("" for none). A new cookie replaces
// the one sent.
func (c *Client) Get(base, path string) (body, setCookie string) {
	c.t.Helper()
	status, body, setCookie := c.Do(base, path)
	require.Equal(c.t, 200, status, "%s: %s", path, body)
	return body, setCookie
}

// Do is Get for any status.
func (c *Client) Do(base, path string) (status int, body, setCookie string) {
	c.t.Helper()
	req, err := nethttp.NewRequest("GET", base+path, nil)
	require.NoError(c.t, err)
	if c.Cookie != "" {
		req.Header.Set("Cookie", "other=1; "+c.Name+"="+c.Cookie)
	}
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.NoError(c.t, resp.Body.Close())
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, c.Name+"=") {
			setCookie = sc
			v := strings.TrimPrefix(sc, c.Name+"=")
			if i := strings.IndexByte(v, ';'); i >= 0 {
				v = v[:i]
			}
			c.Cookie = v
		}
	}
	return resp.StatusCode, string(b), setCookie
}

// Server runs the session scenarios against workers whose sessions use
// newManager's manager: cookies, persistence of types, Pull, Flush,
// RegenerateID, rejected ids, and two concurrent requests of one session
// each setting its own key. Each runs with Session (sync) and LoadSession
// (async).
func Server(t *testing.T, newManager func(t *testing.T) *http.SessionManager) {
	for _, mode := range []string{"sync", "async"} {
		t.Run(mode, func(t *testing.T) {
			q := ""
			if mode == "async" {
				q = "async=1&"
			}
			before := leaktest.Goroutines()
			t.Run("cookie and persistence", func(t *testing.T) {
				m := newManager(t)
				base := StartWorker(t, m, &App{}, nil)
				c := NewClient(t, m.Name(), nil)
				body, sc := c.Get(base, "/incr?"+q)
				assert.Equal(t, "1", body)
				require.NotEmpty(t, sc, "a new session sends its cookie")
				assert.True(t, http.ValidSessionID(c.Cookie), "id %q", c.Cookie)
				assert.Contains(t, sc, "; Path=/")
				assert.Contains(t, sc, "; HttpOnly")
				assert.Contains(t, sc, "; SameSite=Lax")
				assert.Contains(t, sc, "; Max-Age=1440")
				assert.NotContains(t, sc, "Secure", "plain http")
				for want := 2; want <= 3; want++ {
					body, sc = c.Get(base, "/incr?"+q)
					assert.Equal(t, fmt.Sprint(want), body, "the count goes on")
					assert.Empty(t, sc, "a known session sends no cookie")
				}
				body, _ = c.Get(base, "/incrsave?"+q)
				assert.Equal(t, "4", body, "Session.Save")
				body, _ = c.Get(base, "/get?"+q+"k=n")
				assert.Equal(t, "int:4", body)

				_, _ = c.Get(base, "/types?"+q)
				body, _ = c.Get(base, "/checktypes?"+q)
				assert.Equal(t, "any=[]interface {} [1 x map[y:2.5]];bool=bool true;bytes=[]uint8 [98];float=float64 1;"+
					"int=int 7;int64=int64 8;map=map[string]interface {} map[k:[true]];nil=<nil> <nil>;string=string s;"+
					"strings=[]string [a b];has(nil)=false exists(nil)=true", body)

				body, _ = c.Get(base, "/pull?"+q+"k=string")
				assert.Equal(t, "s", body)
				body, _ = c.Get(base, "/pull?"+q+"k=string")
				assert.Equal(t, "none", body, "pulled once")

				_, _ = c.Get(base, "/flush?"+q)
				body, _ = c.Get(base, "/get?"+q+"k=n")
				assert.Equal(t, "<nil>:<nil>", body, "flushed")
			})
			t.Run("rejected ids", func(t *testing.T) {
				m := newManager(t)
				base := StartWorker(t, m, &App{}, nil)
				for _, bad := range []string{"../../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63), "x%2F..%2Fy", strings.Repeat("0", 65)} {
					c := NewClient(t, m.Name(), nil)
					c.Cookie = url.PathEscape(bad)
					body, sc := c.Get(base, "/id?"+q)
					assert.NotEmpty(t, sc, "%q: a new session", bad)
					assert.True(t, http.ValidSessionID(body), "%q gave id %q", bad, body)
				}
			})
			t.Run("regenerate", func(t *testing.T) {
				m := newManager(t)
				base := StartWorker(t, m, &App{}, nil)
				c := NewClient(t, m.Name(), nil)
				_, _ = c.Get(base, "/set?"+q+"k=user&v=ann")
				old := c.Cookie
				body, sc := c.Get(base, "/regen?"+q)
				require.NotEmpty(t, sc, "the new id's cookie")
				assert.Equal(t, body, c.Cookie)
				assert.NotEqual(t, old, c.Cookie)
				body, _ = c.Get(base, "/get?"+q+"k=user")
				assert.Equal(t, "string:ann", body, "data kept under the new id")
				oc := NewClient(t, m.Name(), nil)
				oc.Cookie = old
				assert.Eventually(t, func() bool {
					body, _ := oc.Get(base, "/get?"+q+"k=user")
					return body == "<nil>:<nil>"
				}, 5*time.Second, 20*time.Millisecond, "the old id is destroyed")
			})
			t.Run("concurrent requests", func(t *testing.T) {
				m := newManager(t)
				app := &App{Gate: make(chan struct{}), Loaded: make(chan struct{}, 2)}
				base := StartWorker(t, m, app, nil)
				c := NewClient(t, m.Name(), nil)
				_, _ = c.Get(base, "/set?"+q+"k=first&v=1")
				// Two requests of the session load it, both before either
				// saves, then each sets its own key.
				var wg sync.WaitGroup
				for _, k := range []string{"left", "right"} {
					cc := NewClient(t, m.Name(), nil)
					cc.Cookie = c.Cookie
					wg.Go(func() {
						body, _ := cc.Get(base, "/wait?"+q+"k="+k)
						assert.Equal(t, "ok", body)
					})
				}
				<-app.Loaded
				<-app.Loaded
				close(app.Gate)
				wg.Wait()
				assert.Eventually(t, func() bool {
					l, _ := c.Get(base, "/get?"+q+"k=left")
					r, _ := c.Get(base, "/get?"+q+"k=right")
					f, _ := c.Get(base, "/get?"+q+"k=first")
					return l == "string:left" && r == "string:right" && f == "string:1"
				}, 5*time.Second, 20*time.Millisecond, "both keys survive")
			})
			// gnet's goroutine pool (ants) keeps idle workers for 10 s.
			leaktest.WaitGoroutines(t, before, 25*time.Second)
		})
	}
}

// Secure checks the cookie of a TLS worker: Secure, with the defaults.
func Secure(t *testing.T, m *http.SessionManager) {
	ca, err := testcert.NewCA("sessiontest CA")
	require.NoError(t, err)
	cert, err := ca.Leaf("localhost")
	require.NoError(t, err)
	base := StartWorker(t, m, &App{}, &tls.Config{Certificates: []tls.Certificate{cert}})
	c := NewClient(t, m.Name(), ca)
	body, sc := c.Get(base, "/incr")
	assert.Equal(t, "1", body)
	assert.Contains(t, sc, "; Secure")
	assert.Contains(t, sc, "; HttpOnly")
	assert.Contains(t, sc, "; SameSite=Lax")
	body, _ = c.Get(base, "/incr")
	assert.Equal(t, "2", body)
}

// Shared runs two workers, each with its own manager from newManager (as
// two processes would have) over one store, and SharedBetween them.
func Shared(t *testing.T, newManager func(t *testing.T) *http.SessionManager) {
	a := StartWorker(t, newManager(t), &App{}, nil)
	b := StartWorker(t, newManager(t), &App{}, nil)
	SharedBetween(t, a, b)
}

// SharedBetween checks that workers a and b (base URLs) share sessions: a
// session created on a is read and updated on b, and back on a, with
// Session and with LoadSession.
func SharedBetween(t *testing.T, a, b string) {
	for _, q := range []string{"", "async=1&"} {
		c := NewClient(t, http.DefaultSessionName, nil)
		body, sc := c.Get(a, "/incr?"+q)
		require.Equal(t, "1", body)
		require.NotEmpty(t, sc)
		// A's save is asynchronous: B sees it once it is written.
		require.Eventually(t, func() bool {
			body, _ := c.Get(b, "/get?"+q+"k=n")
			return body == "int:1"
		}, 5*time.Second, 10*time.Millisecond, "B reads the session A created")
		body, sc = c.Get(b, "/incr?"+q)
		assert.Equal(t, "2", body)
		assert.Empty(t, sc, "B knows the session")
		require.Eventually(t, func() bool {
			body, _ := c.Get(a, "/get?"+q+"k=n")
			return body == "int:2"
		}, 5*time.Second, 10*time.Millisecond, "A reads B's update")

		// Answered after Session.Save: the other process sees the change
		// as soon as the client has the response.
		c = NewClient(t, http.DefaultSessionName, nil)
		for i, base := range []string{a, b, a, b, a, b} {
			body, _ = c.Get(base, "/incrsave?"+q)
			require.Equal(t, fmt.Sprint(i+1), body, "request %d", i)
		}
	}
}

// childEnv marks a test binary re-executed by StartChild.
const childEnv = "SESSIONTEST_CHILD"

// IsChild reports whether this process is a child started by StartChild.
func IsChild() bool { return os.Getenv(childEnv) == "1" }

// ServeAsChild, in the child's test, starts a worker with m, prints its
// base URL on stdout and serves until its stdin closes.
func ServeAsChild(t *testing.T, m *http.SessionManager) {
	base := StartWorker(t, m, &App{}, nil)
	fmt.Printf("URL %s\n", base)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// StartChild runs this test binary again as another process, with only
// the test test (which calls ServeAsChild) and env added, and returns the
// base URL of the worker it serves. The child stops when the test ends:
// its stdin is closed, then it is killed if it has not exited within 10 s.
func StartChild(t *testing.T, test string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
				urls <- u
			}
		}
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	select {
	case u := <-urls:
		return u
	case err := <-done:
		done <- err
		t.Fatalf("child exited before serving: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("child did not serve within 20 s")
	}
	return ""
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
