package worker_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/worker"
)

// events records what an AsyncTcpConnection's callbacks saw, in order.
type events struct {
	mu   sync.Mutex
	list []string
	errs []error
	ch   chan string
}

func newEvents() *events { return &events{ch: make(chan string, 1024)} }

func (e *events) add(s string) {
	e.mu.Lock()
	e.list = append(e.list, s)
	e.mu.Unlock()
	e.ch <- s
}

// wait returns the next event, failing after ten seconds.
func (e *events) wait(t *testing.T) string {
	t.Helper()
	select {
	case s := <-e.ch:
		return s
	case <-time.After(10 * time.Second):
		e.mu.Lock()
		defer e.mu.Unlock()
		t.Fatalf("no event after %v", e.list)
		return ""
	}
}

// hook sets ac's callbacks to record into e.
func (e *events) hook(ac *connection.AsyncTcpConnection) {
	ac.OnConnect = func(c *connection.TcpConnection) { e.add("connect") }
	ac.OnMessage = func(c *connection.TcpConnection, msg string) { e.add("message " + msg) }
	ac.OnClose = func(c *connection.TcpConnection) { e.add("close") }
	ac.OnError = func(c *connection.TcpConnection, code int, err error) {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
		e.add("error " + strconv.Itoa(code))
	}
}

// echoServer starts a text:// worker answering each line with "echo: "
// and the line.
func echoServer(t *testing.T) (*worker.Worker, string) {
	return start(t, "text", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, msg string) { _ = c.Send("echo: " + msg) }
	})
}

// client starts a worker that only connects out.
func client(t *testing.T) *worker.Worker {
	w, _ := start(t, "tcp", func(w *worker.Worker) { w.Count = 2 })
	return w
}

func TestAsyncTcpConnectionTalks(t *testing.T) {
	_, addr := echoServer(t)
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	require.Equal(t, connection.StatusInitial, ac.Status())
	require.NoError(t, ac.Send("sent before connect"))
	require.NoError(t, ac.Connect())
	require.NoError(t, ac.Send("sent while connecting"))
	assert.Equal(t, "connect", e.wait(t))
	assert.Equal(t, "message echo: sent before connect", e.wait(t))
	assert.Equal(t, "message echo: sent while connecting", e.wait(t))
	assert.Equal(t, connection.StatusEstablished, ac.Status())
	assert.Same(t, ac, ac.Conn().Async())
	assert.Equal(t, addr, ac.RemoteAddress())
	assert.NotZero(t, ac.LocalPort())
	require.NoError(t, ac.Send("hello"))
	assert.Equal(t, "message echo: hello", e.wait(t))
	require.NoError(t, ac.Close())
	assert.Equal(t, "close", e.wait(t))
	assert.Equal(t, connection.StatusClosed, ac.Status())
}

func TestAsyncTcpConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	w := client(t)
	before := fdbudget.InUse()
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	require.NoError(t, ac.Connect())
	assert.Equal(t, "error 1", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
	e.mu.Lock()
	assert.True(t, errors.Is(e.errs[0], syscall.ECONNREFUSED), "%v", e.errs[0])
	assert.Contains(t, e.errs[0].Error(), "text://"+addr)
	e.mu.Unlock()
	assert.Equal(t, connection.StatusClosed, ac.Status())
	assert.Equal(t, before, fdbudget.InUse())
}

func TestAsyncTcpConnectionBadDNS(t *testing.T) {
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://nosuch.invalid:80")
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	require.NoError(t, ac.Connect())
	assert.Equal(t, "error 1", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
	var dnsErr *net.DNSError
	e.mu.Lock()
	assert.True(t, errors.As(e.errs[0], &dnsErr), "%v", e.errs[0])
	e.mu.Unlock()
}

func TestAsyncTcpConnectionReconnectsAfterServerRestart(t *testing.T) {
	srv, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	srv.Count = 1
	srv.Logger = quiet()
	srv.OnMessage = func(c *connection.TcpConnection, msg string) { _ = c.Send("echo: " + msg) }
	require.NoError(t, srv.Start())
	addr := srv.Addr().String()

	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	var failures atomic.Int32
	ac.OnError = func(c *connection.TcpConnection, code int, err error) {
		if code == connection.CodeConnectFail {
			failures.Add(1)
		}
		e.add("error")
	}
	var giveUp atomic.Bool
	ac.OnClose = func(c *connection.TcpConnection) {
		e.add("close")
		if !giveUp.Load() {
			c.Async().Reconnect(50 * time.Millisecond)
		}
	}
	ac.OnConnect = func(c *connection.TcpConnection) {
		e.add("connect")
		_ = c.Send("hi")
	}
	require.NoError(t, ac.Connect())
	assert.Equal(t, "connect", e.wait(t))
	assert.Equal(t, "message echo: hi", e.wait(t))
	id := ac.ID()

	require.NoError(t, srv.Stop())
	assert.Equal(t, "close", e.wait(t))
	// Refused while the server is down, again and again.
	for failures.Load() < 3 {
		s := e.wait(t)
		require.Contains(t, []string{"error", "close"}, s)
	}

	srv2, err := worker.New("text://" + addr)
	require.NoError(t, err)
	srv2.Count = 1
	srv2.Logger = quiet()
	srv2.OnMessage = func(c *connection.TcpConnection, msg string) { _ = c.Send("again: " + msg) }
	require.NoError(t, srv2.Start())
	t.Cleanup(func() { _ = srv2.Stop() })
	for s := e.wait(t); s != "connect"; s = e.wait(t) {
		require.Contains(t, []string{"error", "close"}, s)
	}
	assert.Equal(t, "message again: hi", e.wait(t))
	assert.Equal(t, id, ac.ID(), "the same connection, reconnected")

	// CancelReconnect stops a pending reconnect for good.
	giveUp.Store(true)
	require.NoError(t, ac.Close())
	assert.Equal(t, "close", e.wait(t))
	ac.Reconnect(100 * time.Millisecond)
	ac.CancelReconnect()
	select {
	case s := <-e.ch:
		t.Fatalf("after CancelReconnect: %s", s)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestAsyncTcpConnectionCloseWhileConnecting(t *testing.T) {
	w := client(t)
	// A name that takes the resolver a while, or fails: either way
	// Close comes first.
	ac, err := w.NewAsyncTcpConnection("text://10.255.255.1:80")
	require.NoError(t, err)
	ac.ConnectTimeout = 10 * time.Second
	e := newEvents()
	e.hook(ac)
	before := fdbudget.InUse()
	require.NoError(t, ac.Connect())
	require.NoError(t, ac.Close())
	s := e.wait(t)
	if s == "error 1" { // unreachable at once on this machine
		s = e.wait(t)
	}
	assert.Equal(t, "close", s)
	assert.Equal(t, connection.StatusClosed, ac.Status())
	deadline := time.Now().Add(5 * time.Second)
	for fdbudget.InUse() != before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, before, fdbudget.InUse())
}

func TestAsyncTcpConnectionBadRemote(t *testing.T) {
	w := client(t)
	for _, remote := range []string{"", "text://", "text://host", "text://h:0", "nosuch://h:1", "http://h:80", "text://h:1/path", "unix://"} {
		_, err := w.NewAsyncTcpConnection(remote)
		assert.Error(t, err, remote)
	}
	ac, err := w.NewAsyncTcpConnection("text://127.0.0.1:1")
	require.NoError(t, err)
	ac.OnMessage = func(c *connection.TcpConnection, msg []byte) {}
	assert.ErrorContains(t, ac.Connect(), "string")
	stopped, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	_, err = stopped.NewAsyncTcpConnection("text://127.0.0.1:1")
	assert.ErrorIs(t, err, worker.ErrNotStarted)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Stop ends the worker's outbound connections whatever their state:
// established ones close like accepted ones, a connect in progress is
// given up with its OnClose, a pending reconnect is cancelled; nothing
// is left behind (goroutines, descriptors counted).
func TestStopEndsOutboundConnections(t *testing.T) {
	_, addr := echoServer(t)
	silent := fullBacklog(t)
	baseFDs := fdbudget.InUse()
	baseGoroutines := leaktest.Goroutines()

	w, err := worker.New("tcp://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	w.Logger = quiet()
	require.NoError(t, w.Start())

	var closes atomic.Int32
	mk := func(remote string) *connection.AsyncTcpConnection {
		ac, err := w.NewAsyncTcpConnection(remote)
		require.NoError(t, err)
		ac.ConnectTimeout = time.Minute
		ac.OnClose = func(c *connection.TcpConnection) {
			closes.Add(1)
			c.Async().Reconnect(time.Millisecond) // refused: the worker stops
		}
		return ac
	}
	established := mk("text://" + addr)
	up := make(chan struct{})
	established.OnConnect = func(*connection.TcpConnection) { close(up) }
	require.NoError(t, established.Connect())
	<-up
	connecting := mk("text://" + silent)
	require.NoError(t, connecting.Connect())
	waiting := mk("text://" + addr)
	waiting.Reconnect(time.Hour)

	require.NoError(t, w.Stop())
	assert.Equal(t, int32(2), closes.Load(), "OnClose of the established and the connecting one")
	for _, ac := range []*connection.AsyncTcpConnection{established, connecting, waiting} {
		assert.Contains(t, []connection.Status{connection.StatusClosed, connection.StatusInitial}, ac.Status())
	}
	assert.Equal(t, baseFDs, fdbudget.InUse())
	leaktest.WaitGoroutines(t, baseGoroutines, 10*time.Second)
}

// fullBacklog listens with a full backlog: a connect to it is never
// answered (the SYN is dropped).
func fullBacklog(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	filler, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = filler.Close() })
	return addr
}

// unix:// and text+unix:// connect to a unix socket.
func TestAsyncTcpConnectionUnixSocket(t *testing.T) {
	path := t.TempDir() + "/echo.sock"
	srv, err := worker.New("text+unix://" + path)
	require.NoError(t, err)
	srv.Count = 1
	srv.Logger = quiet()
	srv.OnMessage = func(c *connection.TcpConnection, msg string) { _ = c.Send("echo: " + msg) }
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Stop() })

	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text+unix://" + path)
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	ac.OnConnect = func(c *connection.TcpConnection) { _ = c.Send("over unix") }
	require.NoError(t, ac.Connect())
	assert.Equal(t, "message echo: over unix", e.wait(t))
	assert.Equal(t, path, ac.RemoteAddress())
	require.NoError(t, ac.Close())
	assert.Equal(t, "close", e.wait(t))
}

// CloseWhenIdle (a worker's graceful stop calls it) gives up a connect in
// progress, whatever the protocol: a ws:// client's codec has boundaries
// (protocols.Drainer) and still closes.
func TestCloseWhenIdleWhileConnecting(t *testing.T) {
	silent := fullBacklog(t)
	w := client(t)
	for _, scheme := range []string{"text", "ws"} {
		ac, err := w.NewAsyncTcpConnection(scheme + "://" + silent)
		require.NoError(t, err)
		ac.ConnectTimeout = time.Minute
		closed := make(chan struct{})
		ac.OnClose = func(*connection.TcpConnection) { close(closed) }
		require.NoError(t, ac.Connect())
		ac.CloseWhenIdle()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: CloseWhenIdle left the connect going", scheme)
		}
		assert.Equal(t, connection.StatusClosed, ac.Status())
	}
}
